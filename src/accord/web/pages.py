"""The timeline page at ``/`` and the static files under ``/static`` (the page's own CSS and
JavaScript, and the vendored GraphiQL, React and React DOM that ``GET /graphql`` loads).

The page is rendered when the application is created, once per language of ``?lang=`` (``en``,
``zh-TW``): its template, the feeds' ``<link rel="alternate">`` tags and the ``hreflang``
alternates for ``ACCORD_PUBLIC_URL``. Everything else happens in the browser, which talks to
``/graphql`` only (docs/frontend.md).

``/events/{slug}`` (where feed entries link) sends a published event's visitors to the page with
that event open, and answers 404, with a page that says so, for any other slug. With
``?preview=``, it is the preview page of a draft instead (accord.web.preview).
"""

from __future__ import annotations

import hashlib
import os
from html import escape
from importlib.resources import files
from urllib.parse import urlencode, urlsplit

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from accord.core.locale import LANGUAGE_TAGS, locale_from_accept_language, locale_of_tag
from accord.core.preview import PreviewSecret
from accord.core.visibility import PUBLIC
from accord.feeds.caching import is_not_modified
from accord.feeds.links import alternate_links_html
from accord.read.db import Reader
from accord.web.message_page import message_page
from accord.web.preview import PreviewPages, event_by_slug

# The page loads nothing from elsewhere; the browser enforces it. 'self' covers the WebSocket to
# the same host and port in current browsers.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)


# ?lang= of the page's address -> the <html lang> the page starts with. The page's script reads the
# same parameter (static/js/i18n.js) and writes it back when the reader switches.
PAGE_LANGUAGES = {"en": "en", "zh-TW": "zh-Hant"}
DEFAULT_LANGUAGE = "en"


def page_language(value: str | None) -> str | None:
    """``en`` or ``zh-TW`` for a ``?lang=`` value, read as every other surface reads a language
    (accord.core.locale); None for none, or a language accord does not have."""
    locale = None if value is None else locale_of_tag(value)
    return None if locale is None else LANGUAGE_TAGS[locale]


def hreflang_links_html(public_url: str) -> str:
    """The page in each language, for search engines and readers that pick one (hreflang)."""
    home = escape(public_url.rstrip("/") + "/")
    links = [
        f'<link rel="alternate" hreflang="{lang}" href="{home}?lang={lang}" />' for lang in PAGE_LANGUAGES
    ]
    links.append(f'<link rel="alternate" hreflang="x-default" href="{home}" />')
    return "\n".join(links)


def timeline_html(public_url: str, lang: str = DEFAULT_LANGUAGE) -> str:
    template = (files("accord.web") / "templates" / "timeline.html").read_text(encoding="utf-8")
    head_links = alternate_links_html(public_url) + "\n" + hreflang_links_html(public_url)
    page = template.replace("__FEED_LINKS__", head_links.replace("\n", "\n    "))
    return page.replace('<html lang="en"', f'<html lang="{PAGE_LANGUAGES[lang]}"', 1)


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def policy_with_images(public_url: str) -> str:
    """The policy, with the public URL's origin among image sources: the page shows pictures from
    the URLs the API gives, which start with the public URL (the page may be reached by another
    name, such as localhost for 127.0.0.1)."""
    parts = urlsplit(public_url)
    origin = f"{parts.scheme}://{parts.netloc}"
    return CONTENT_SECURITY_POLICY.replace("img-src 'self' data:", f"img-src 'self' {origin} data:")


PAGE_HEADERS = {
    "Cache-Control": "no-cache",
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


class TimelinePage:
    """``GET /``: the same bytes for every request of one ``?lang=``, revalidated by ETag."""

    def __init__(self, public_url: str) -> None:
        self.bodies = {lang: timeline_html(public_url, lang).encode() for lang in PAGE_LANGUAGES}
        self.etags = {lang: _etag(body) for lang, body in self.bodies.items()}
        self.headers = {**PAGE_HEADERS, "Content-Security-Policy": policy_with_images(public_url)}

    async def respond(self, request: Request) -> Response:
        lang = page_language(request.query_params.get("lang")) or DEFAULT_LANGUAGE
        headers = {"ETag": self.etags[lang], **self.headers}
        if is_not_modified(request.headers, self.etags[lang], None):
            return Response(status_code=304, headers=headers)
        return HTMLResponse(self.bodies[lang], headers=headers)


NOT_FOUND_TEXT = {
    "en": ("Event not found", "There is no published event “{slug}”.", "Back to the timeline"),
    "zh-TW": ("找不到活動", "沒有已發布的活動「{slug}」。", "回到時間軸"),
}


class EventPages:
    """``GET /events/{slug}``: 302 to ``/?event={slug}`` for a published event, else a real 404;
    with ``?preview=``, the preview page (200 or 403)."""

    def __init__(self, engine: AsyncEngine, preview_secret: PreviewSecret | None = None) -> None:
        self.engine = engine
        self.previews = None if preview_secret is None else PreviewPages(engine, preview_secret, PAGE_HEADERS)

    async def respond(self, request: Request) -> Response:
        slug: str = request.path_params["slug"]
        asked = page_language(request.query_params.get("lang"))
        # Else the language the reader's Accept-Language asks for (English when it asks for neither).
        lang = asked or LANGUAGE_TAGS[locale_from_accept_language(request.headers.get("accept-language"))]
        if self.previews is not None and "preview" in request.query_params:
            return await self.previews.respond(request, slug, lang, PAGE_LANGUAGES[lang])
        db = Reader(self.engine)
        try:
            published = await event_by_slug(db, slug, PUBLIC) is not None
        finally:
            await db.close()
        if published:
            query = {"event": slug} if asked is None else {"event": slug, "lang": asked}
            return RedirectResponse(f"/?{urlencode(query)}", status_code=302)
        title, text, back = NOT_FOUND_TEXT[lang]
        shown = escape(slug[:120] + ("…" if len(slug) > 120 else ""))
        body = message_page(
            html_lang=PAGE_LANGUAGES[lang],
            title=title,
            text=text.format(slug=f"<code>{shown}</code>"),
            back=back,
            home=f"/?lang={lang}",
            robots="noindex",
        )
        return HTMLResponse(body, status_code=404, headers={**PAGE_HEADERS, "Vary": "Accept-Language"})


class StaticAssets(StaticFiles):
    """The package's ``static/`` folder. ``no-cache``: browsers revalidate (ETag, 304) and so pick
    up a new release at once; the large vendored files are not downloaded again while unchanged."""

    def __init__(self) -> None:
        super().__init__(packages=[("accord.web", "static")])

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["Cache-Control"] = "no-cache"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response


def web_routes(
    public_url: str, engine: AsyncEngine, preview_secret: PreviewSecret | None = None
) -> list[BaseRoute]:
    """The timeline page, event links and the static files, for the application's route list."""
    return [
        Route("/", TimelinePage(public_url).respond, methods=["GET"]),
        # Feed entries link to /events/SLUG: the page opens that event (or its preview).
        Route("/events/{slug}", EventPages(engine, preview_secret).respond, methods=["GET"]),
        Mount("/static", app=StaticAssets(), name="static"),
    ]
