"""The preview page: ``/events/SLUG?preview=VALUE`` shows that event as it is now, published or
not, to whoever has a valid preview link for it (``previewLink`` and ``accord preview link``).

The page is built here, on the server, from the database: the preview value is checked here and
nowhere else, so it opens this one page and nothing more (no GraphQL, no feed, no write), and the
pictures of this event, whose URLs carry it (accord.web.media serves them, privately). The page
carries a visible "Preview" banner, and is sent with ``X-Robots-Tag: noindex`` and
``Cache-Control: private, no-store`` (no cache keeps it, no search engine lists it) and
``Referrer-Policy: no-referrer`` (the value never leaves in a Referer). A value that is malformed,
forged, tampered with, signed with a rotated secret, expired, or made for another item gets a 403
page that says which.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from html import escape
from importlib.resources import files
from urllib.parse import urlencode

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from accord.content.document import SLUG_RE
from accord.content.fields import Images
from accord.content.model import EVENT
from accord.core.dates import period_label
from accord.core.ids import to_global_id
from accord.core.locale import pick
from accord.core.preview import PreviewRefused, PreviewSecret, verify, well_formed
from accord.core.row_types import EventRow, ImageRow
from accord.core.visibility import EDITOR, Visibility
from accord.media.formats import media_url
from accord.models.columns import utcnow
from accord.models.enums import Locale
from accord.read import lists
from accord.read.db import Reader
from accord.read.relations import load_images, load_linked, load_tags
from accord.web.message_page import message_page

PREVIEW_HEADERS = {
    "Cache-Control": "private, no-store",
    "X-Robots-Tag": "noindex",
    "Referrer-Policy": "no-referrer",
    "Vary": "Accept-Language",
}

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "badge": "Preview",
        "DRAFT": "This event is a draft: only people with this link can see it.",
        "ARCHIVED": "This event is archived: only people with this link can see it.",
        "PUBLISHED": "This event is published: this is how everybody sees it.",
        "scheduled": "It is scheduled to be published at {at}.",
        "until": "This link works until {at}.",
        "partners": "Partners",
        "agreements": "Agreements",
        "exhibits": "Exhibits",
        "places": "Places",
        "tags": "Tags",
        "back": "Back to the timeline",
        "refused": "Preview link not valid",
        "expired_title": "Preview link expired",
        "invalid": "This preview link does not work: it is incomplete or has been changed, or "
        "the previews it belonged to were withdrawn. Ask whoever sent it for a new one.",
        "expired": "This preview link has expired. Ask whoever sent it for a new one.",
        "other": "This preview link is for another page.",
    },
    "zh-TW": {
        "badge": "預覽",
        "DRAFT": "這個活動是草稿：只有持有此連結的人看得到。",
        "ARCHIVED": "這個活動已封存：只有持有此連結的人看得到。",
        "PUBLISHED": "這個活動已發布：所有人看到的就是這樣。",
        "scheduled": "預定於 {at} 發布。",
        "until": "此連結的有效期限至 {at}。",
        "partners": "合作夥伴",
        "agreements": "協定",
        "exhibits": "展品",
        "places": "地點",
        "tags": "標籤",
        "back": "回到時間軸",
        "refused": "預覽連結無效",
        "expired_title": "預覽連結已過期",
        "invalid": "這個預覽連結無法使用：連結不完整或已被修改，或預覽已被撤銷。請向寄送者索取新的連結。",
        "expired": "這個預覽連結已過期。請向寄送者索取新的連結。",
        "other": "這個預覽連結不是這個頁面的。",
    },
}
LOCALES = {"en": Locale.EN, "zh-TW": Locale.ZH_TW}
[PICTURES] = EVENT.of_kind(Images)
# The width of the pictures on the page (44rem at most), for a screen of twice the density.
PICTURE_WIDTH = 1280


async def event_by_slug(db: Reader, slug: str, visibility: Visibility) -> EventRow | None:
    """The event, when ``visibility`` sees it. A slug that could never be stored is not looked up
    (and never reaches SQL as anything odd)."""
    if len(slug) > 120 or not SLUG_RE.match(slug):
        return None
    return await lists.get_by_slug(db, EVENT, slug, visibility)


def _moment(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC")


class PreviewPages:
    def __init__(self, engine: AsyncEngine, secret: PreviewSecret, headers: Mapping[str, str]) -> None:
        self.engine = engine
        self.secret = secret
        self.headers = {**headers, **PREVIEW_HEADERS}
        self.page = (files("accord.web") / "templates" / "preview.html").read_text(encoding="utf-8")

    async def respond(self, request: Request, slug: str, lang: str, html_lang: str) -> Response:
        """The page for ``?preview=``; ``lang`` is the page's language tag (``en``, ``zh-TW``)."""
        text = TEXT[lang]
        value = request.query_params.get("preview", "")
        if not well_formed(value):
            return self._refused(lang, html_lang, "invalid")
        try:
            grant = verify(await self.secret.value(), value, now=utcnow())
        except PreviewRefused as refused:
            return self._refused(lang, html_lang, "expired" if refused.reason == "expired" else "invalid")
        db = Reader(self.engine)
        try:
            row = await event_by_slug(db, slug, EDITOR)
            if row is None or to_global_id(EVENT.name, row.id) != grant.global_id:
                return self._refused(lang, html_lang, "other")
            body = await self._body(db, row, LOCALES[lang], text, value)
        finally:
            await db.close()
        note = [text[row.status]]
        if row.scheduled_at is not None:
            note.append(text["scheduled"].format(at=_moment(row.scheduled_at)))
        note.append(text["until"].format(at=_moment(grant.expires)))
        title = pick(row.title_en, row.title_zh, LOCALES[lang])
        page = (
            self.page.replace("__LANG__", html_lang)
            .replace("__BADGE__", escape(text["badge"]))
            .replace("__NOTE__", escape(("" if lang == "zh-TW" else " ").join(note)))
            .replace("__DATE__", escape(self._date(row, LOCALES[lang])))
            .replace("__TITLE__", escape(title))
            .replace("__BACK__", escape(text["back"]))
            .replace("__HOME__", f"/?lang={lang}")
            .replace("__BODY__", body)
        )
        return HTMLResponse(page, headers=self.headers)

    def _refused(self, lang: str, html_lang: str, reason: str) -> Response:
        text = TEXT[lang]
        page = message_page(
            html_lang=html_lang,
            title=escape(text["expired_title" if reason == "expired" else "refused"]),
            text=escape(text[reason]),
            back=escape(text["back"]),
            home=f"/?lang={lang}",
            robots="noindex, nofollow",  # a preview link is private: follow nothing it links to
        )
        return HTMLResponse(page, status_code=403, headers=self.headers)

    @staticmethod
    def _date(row: EventRow, locale: Locale) -> str:
        start = EVENT.field("date").value(row)  # type: ignore[attr-defined]
        end = EVENT.field("endDate").value(row)  # type: ignore[attr-defined]
        return period_label(start, end, locale)

    async def _body(self, db: Reader, row: EventRow, locale: Locale, text: dict[str, str], value: str) -> str:
        """The event's pictures, summary, places, tags and links, as the editors' view has them."""
        parts: list[str] = []
        [pictures] = await load_images(db, PICTURES, [row.id])
        parts += [_picture(image, locale, value) for image in pictures]
        summary = pick(row.summary_en, row.summary_zh, locale)
        if summary:
            parts.append(f'<p class="event-dialog__summary">{escape(summary)}</p>')
        places = [pick(place.get("en"), place.get("zh_tw"), locale) for place in row.places]
        sections: list[tuple[str, list[str]]] = [("places", places)]
        [tags] = await load_tags(db, [row.id])
        sections.append(("tags", tags))
        for name, naming in (("partners", "name"), ("agreements", "title"), ("exhibits", "title")):
            [linked] = await load_linked(db, EVENT.linked(name).relation, [row.id], EDITOR.statuses)
            names = [pick(getattr(i, f"{naming}_en"), getattr(i, f"{naming}_zh"), locale) for i in linked]
            sections.append((name, names))
        for name, items in sections:
            if items:
                listed = "".join(f"<li>{escape(item)}</li>" for item in items)
                parts.append(f'<h2>{escape(text[name])}</h2>\n<ul class="preview-{name}">{listed}</ul>')
        return "\n        ".join(parts)


def _picture(image: ImageRow, locale: Locale, value: str) -> str:
    """One picture of the event, loaded with the preview value: a draft's pictures are not public."""
    src = f"{media_url('', image.content_hash, image.width, PICTURE_WIDTH)}?{urlencode({'preview': value})}"
    alt = pick(image.alt_en, image.alt_zh, locale)
    credit = ""
    if image.credit:
        credit = f'<figcaption class="picture__credit">{escape(image.credit)}</figcaption>'
    return (
        f'<figure class="picture preview-picture"><img class="picture__img" src="{escape(src)}" '
        f'alt="{escape(alt)}" width="{image.width}" height="{image.height}">{credit}</figure>'
    )
