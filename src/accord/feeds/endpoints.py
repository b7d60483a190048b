"""The feed routes: milestones, per-partner and saved feeds in three formats, and the OPML list.

Client mistakes are short plain-text answers: 404 for an unknown feed or partner, 400 for a bad
parameter (naming the allowed values). A built feed is kept, by its URL, the reader's language and
the content version, until the content changes (in a cache bounded by bytes).

A request with a token (``Authorization: Bearer``) gets the feed as that token sees content over
GraphQL (an editor's or a preview token's: drafts and archived content too), marked
``private, no-store`` and never kept; an unknown or revoked token gets 401.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from functools import partial
from urllib.parse import urlencode

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.exceptions import HTTPException  # answered as a short plain-text 4xx
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from accord.content.document import SLUG_RE
from accord.core.auth import Viewer
from accord.core.errors import BadInput, Unauthenticated
from accord.core.locale import ALLOWED_TAGS, LANGUAGE_TAGS, locale_from_accept_language, locale_of_tag, pick
from accord.core.lru import ByteLRU
from accord.core.row_types import PartnerRow
from accord.core.visibility import Visibility, visibility_of
from accord.feeds.caching import PRIVATE, cached_response, is_not_modified
from accord.feeds.formats import OPML_MEDIA_TYPE, FeedFormat, split_file_name
from accord.feeds.items import feed_items, published_events, published_partner, published_partners
from accord.feeds.links import MILESTONES, feed_url, partner_feed_url
from accord.feeds.opml import Group, Subscription, render_opml
from accord.feeds.render import FeedDocument, render
from accord.feeds.saved import SavedFeed, load_saved_feeds
from accord.models.enums import Locale
from accord.read.db import Reader
from accord.read.filters import Filter
from accord.settings import Settings

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
LIMIT_RE = re.compile(r"[0-9]{1,6}")
AUTHOR = "accord"


BUILT_FEEDS_KEPT = 200
BUILT_FEEDS_BYTES = 16 * 1024 * 1024
Authenticate = Callable[[str | None], Awaitable[Viewer | None]]
Build = Callable[[Request, Reader, Visibility], Awaitable[Response]]


def _conditional(request: Request, kept: Response) -> Response:
    """A kept feed answered again: 304 when the client has it, else the same bytes and headers."""
    headers = {name: value for name, value in kept.headers.items() if name.lower() != "content-length"}
    modified = kept.headers.get("last-modified")
    moment = parsedate_to_datetime(modified) if modified else None
    if is_not_modified(request.headers, kept.headers["etag"], moment):
        return Response(
            status_code=304, headers={k: v for k, v in headers.items() if k.lower() != "content-type"}
        )
    return Response(kept.body, status_code=200, headers=headers)


def _feed_file(request: Request) -> tuple[str, FeedFormat]:
    """The feed's name and format from its file name (``milestones.atom``)."""
    file_name: str = request.path_params["file"]
    parts = split_file_name(file_name)
    if parts is None:
        raise HTTPException(404, f"no feed {_shown(file_name)}: feeds end in .rss, .atom or .json")
    return parts


def _shown(value: str) -> str:
    """A client's value quoted in a message, cut short."""
    return repr(value if len(value) <= 80 else value[:80] + "...")


@dataclass(frozen=True, slots=True)
class FeedParameters:
    limit: int
    limit_given: bool
    locale: Locale
    url_locale: Locale | None
    """The locale the feed's own URL must name so that it gives this same feed (None: no need)."""
    partner: str | None
    tag: str | None

    def query(self) -> str:
        """The canonical query string of this feed, for its self link (``''`` when there is none)."""
        pairs: list[tuple[str, str]] = []
        if self.url_locale is not None:
            pairs.append(("locale", LANGUAGE_TAGS[self.url_locale]))
        if self.partner is not None:
            pairs.append(("partner", self.partner))
        if self.tag is not None:
            pairs.append(("tag", self.tag))
        if self.limit_given:
            pairs.append(("limit", str(self.limit)))
        return f"?{urlencode(pairs)}" if pairs else ""


def chosen_locale(request: Request, fixed: Locale | None = None) -> tuple[Locale, Locale | None]:
    """(locale, locale for the URL): ``?locale=``, else the feed's own, else Accept-Language, else EN."""
    raw = request.query_params.get("locale")
    default = fixed or Locale.EN
    if raw is not None:
        locale = locale_of_tag(raw)
        if locale is None:
            raise HTTPException(400, f"locale must be {ALLOWED_TAGS} (got {_shown(raw)})")
    elif fixed is not None:
        locale = fixed
    else:
        locale = locale_from_accept_language(request.headers.get("accept-language"))
    return locale, None if locale is default else locale


def feed_parameters(
    request: Request, *, takes: tuple[str, ...], fixed: Locale | None = None
) -> FeedParameters:
    query = request.query_params
    for name in ("partner", "tag"):
        if name in query and name not in takes:
            raise HTTPException(400, f"this feed does not take {name}; it takes {', '.join(takes)}")
    limit = DEFAULT_LIMIT
    raw_limit = query.get("limit")
    if raw_limit is not None:
        if not LIMIT_RE.fullmatch(raw_limit) or not 1 <= int(raw_limit) <= MAX_LIMIT:
            raise HTTPException(
                400,
                f"limit must be a whole number from 1 to {MAX_LIMIT} (default {DEFAULT_LIMIT}); "
                f"got {_shown(raw_limit)}",
            )
        limit = int(raw_limit)
    locale, url_locale = chosen_locale(request, fixed)
    tag = query.get("tag")
    if tag is not None and not SLUG_RE.fullmatch(tag):
        raise HTTPException(
            400,
            "tag must be lowercase letters, digits and single hyphens, like trade-facilitation; "
            f"got {_shown(tag)}",
        )
    # A partner is looked up (and its slug checked) by the feed that takes it.
    return FeedParameters(limit, raw_limit is not None, locale, url_locale, query.get("partner"), tag)


@dataclass(frozen=True, slots=True)
class Heading:
    title: str
    description: str


def milestones_heading(locale: Locale, partner_name: str | None, tag: str | None) -> Heading:
    zh = locale is Locale.ZH_TW
    if partner_name is None:
        title = "國際合作里程碑" if zh else "International cooperation milestones"
        description = (
            "國際海關合作大事紀的里程碑，依事件日期由新至舊排列。"
            if zh
            else "Milestones of the international customs cooperation timeline, newest first."
        )
    else:
        title = f"與{partner_name}的合作里程碑" if zh else f"Milestones with {partner_name}"
        description = (
            f"國際海關合作大事紀中與{partner_name}相關的里程碑，依事件日期由新至舊排列。"
            if zh
            else f"Milestones of the international customs cooperation timeline with {partner_name}, "
            "newest first."
        )
    if tag is not None:
        title += f"（標籤：{tag}）" if zh else f" (tag: {tag})"
    return Heading(title, description)


OPML_TEXTS = {
    Locale.EN: dict(title="accord feeds", milestones="Milestones", partners="Partners", saved="Saved feeds"),
    Locale.ZH_TW: dict(title="accord 的所有訂閱", milestones="里程碑", partners="合作夥伴", saved="自訂訂閱"),
}


class FeedEndpoints:
    def __init__(
        self,
        public_url: str,
        engine: AsyncEngine,
        saved: Mapping[str, SavedFeed],
        content_version: Callable[[], Awaitable[int]] | None = None,
        authenticate: Authenticate | None = None,
    ) -> None:
        self.public_url = public_url.rstrip("/")
        self.home_url = f"{self.public_url}/"
        self.hub_url = f"{self.public_url}/websub"  # WebSub (accord.push.websub)
        self.engine = engine
        self.saved = dict(saved)
        # With the content version, built feeds are kept until the content changes (a 304 then
        # costs a lookup, not a rebuild).
        self.content_version = content_version
        self.authenticate = authenticate  # a token's holder (None: feeds ignore tokens)
        # The URL's query and the Accept-Language header are the client's to vary: bounded by bytes.
        self.built: ByteLRU[Response] = ByteLRU(max_bytes=BUILT_FEEDS_BYTES, max_entries=BUILT_FEEDS_KEPT)

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        engine: AsyncEngine,
        content_version: Callable[[], Awaitable[int]] | None = None,
        authenticate: Authenticate | None = None,
    ) -> FeedEndpoints:
        """Reads the saved-feeds file; a bad one raises FeedsFileError (Settings checks it first)."""
        saved = load_saved_feeds(settings.feeds_file)
        return cls(settings.public_url, engine, saved, content_version, authenticate)

    def routes(self) -> list[Route]:
        return [
            Route("/feeds.opml", partial(self._answer, build=self._opml), methods=["GET"]),
            Route("/feeds/partners/{file}", partial(self._answer, build=self._partner_feed), methods=["GET"]),
            Route("/feeds/{file}", partial(self._answer, build=self._named_feed), methods=["GET"]),
        ]

    # -- handlers -------------------------------------------------------------------------------

    async def _answer(self, request: Request, build: Build) -> Response:
        """``build``'s answer, as the token of the request sees content; kept for anonymous readers."""
        viewer = None
        authorization = request.headers.get("authorization")
        if authorization is not None and self.authenticate is not None:
            try:
                viewer = await self.authenticate(authorization)
            except Unauthenticated as exc:
                return PlainTextResponse(str(exc), status_code=401, headers={"WWW-Authenticate": "Bearer"})
        key = None
        # A token holder's feed is built for them, kept nowhere, cached by nobody.
        if viewer is None and self.content_version is not None:
            language = request.headers.get("accept-language", "")
            key = (request.url.path, request.url.query, language, await self.content_version())
            kept = self.built.get(key)
            if kept is not None:
                return _conditional(request, kept)
        db = Reader(self.engine)
        try:
            response = await build(request, db, visibility_of(viewer))
        except BadInput as exc:
            return PlainTextResponse(str(exc), status_code=400)
        finally:
            await db.close()
        if viewer is not None:
            response.headers["Cache-Control"] = PRIVATE
        elif key is not None and response.status_code == 200:
            self.built.put(key, response, len(response.body) + len(key[1]) + len(key[2]) + 200)
        return response

    async def _named_feed(self, request: Request, db: Reader, visibility: Visibility) -> Response:
        name, fmt = _feed_file(request)
        if name == MILESTONES:
            return await self._milestones(request, db, fmt, visibility)
        saved = self.saved.get(name)
        if saved is None:
            raise HTTPException(404, f"no feed named {_shown(name)}; /feeds.opml lists them all")
        return await self._saved(request, db, fmt, saved, visibility)

    async def _milestones(
        self,
        request: Request,
        db: Reader,
        fmt: FeedFormat,
        visibility: Visibility,
        partner_slug: str | None = None,
    ) -> Response:
        """The milestones feed; with ``partner_slug``, a partner's own (/feeds/partners/SLUG.atom)."""
        takes = ("limit", "locale", "partner", "tag") if partner_slug is None else ("limit", "locale", "tag")
        params = feed_parameters(request, takes=takes)
        slug = params.partner if partner_slug is None else partner_slug
        partner_name = None
        if slug is not None:
            partner = await self._partner(db, slug, visibility)
            partner_name = pick(partner.name_en, partner.name_zh, params.locale)
        url = (
            feed_url(self.public_url, MILESTONES, fmt)
            if partner_slug is None
            else partner_feed_url(self.public_url, partner_slug, fmt)
        )
        event_filter: Filter = {"partner": slug, "tag": params.tag, "milestonesOnly": True}
        heading = milestones_heading(params.locale, partner_name, params.tag)
        return await self._feed(request, db, fmt, visibility, url, params, event_filter, heading)

    async def _partner_feed(self, request: Request, db: Reader, visibility: Visibility) -> Response:
        slug, fmt = _feed_file(request)
        return await self._milestones(request, db, fmt, visibility, partner_slug=slug)

    async def _saved(
        self, request: Request, db: Reader, fmt: FeedFormat, saved: SavedFeed, visibility: Visibility
    ) -> Response:
        params = feed_parameters(request, takes=("limit", "locale"), fixed=saved.fixed_locale)
        partner = saved.filter.partner
        # A partner that is not (or no longer) published: the feed exists, and is empty.
        shown = partner is None or await published_partner(db, partner, visibility) is not None
        url = feed_url(self.public_url, saved.name, fmt)
        event_filter = saved.filter.event_filter() if shown else None
        heading = Heading(saved.title, saved.description or saved.title)
        return await self._feed(request, db, fmt, visibility, url, params, event_filter, heading)

    async def _opml(self, request: Request, db: Reader, visibility: Visibility) -> Response:
        locale, url_locale = chosen_locale(request)
        texts = OPML_TEXTS[locale]
        query = "" if url_locale is None else f"?{urlencode({'locale': LANGUAGE_TAGS[url_locale]})}"

        def subscription(text: str, xml_url: str, language: Locale) -> Subscription:
            return Subscription(text, xml_url, html_url=self.home_url, language=LANGUAGE_TAGS[language])

        heading = milestones_heading(locale, None, None)
        milestones = Group(texts["milestones"])
        for fmt in FeedFormat:
            url = feed_url(self.public_url, MILESTONES, fmt) + query
            milestones.subscriptions.append(subscription(f"{heading.title} ({fmt.label})", url, locale))
        partners = Group(texts["partners"])
        for row in await published_partners(db, visibility):
            title = milestones_heading(locale, pick(row.name_en, row.name_zh, locale), None).title
            url = partner_feed_url(self.public_url, row.slug, FeedFormat.ATOM) + query
            partners.subscriptions.append(subscription(title, url, locale))
        saved = Group(texts["saved"])
        for feed in self.saved.values():
            fixed = feed.fixed_locale
            url = feed_url(self.public_url, feed.name, FeedFormat.ATOM) + ("" if fixed else query)
            saved.subscriptions.append(subscription(feed.title, url, fixed or locale))
        body = render_opml(texts["title"], AUTHOR, [milestones, partners, saved])
        return cached_response(request.headers, body, OPML_MEDIA_TYPE, None)

    # -- helpers --------------------------------------------------------------------------------

    async def _partner(self, db: Reader, slug: str, visibility: Visibility) -> PartnerRow:
        row = None if not SLUG_RE.fullmatch(slug) else await published_partner(db, slug, visibility)
        if row is None:
            raise HTTPException(404, f"no published partner {_shown(slug)}")
        return row

    async def _feed(
        self,
        request: Request,
        db: Reader,
        fmt: FeedFormat,
        visibility: Visibility,
        url: str,
        params: FeedParameters,
        event_filter: Filter | None,
        heading: Heading,
    ) -> Response:
        """The feed of the events ``event_filter`` selects (None: no events)."""
        rows = (
            [] if event_filter is None else await published_events(db, event_filter, params.limit, visibility)
        )
        items = await feed_items(
            db, rows, locale=params.locale, public_url=self.public_url, visibility=visibility
        )
        document = FeedDocument(
            title=heading.title,
            description=heading.description,
            language=LANGUAGE_TAGS[params.locale],
            feed_url=url + params.query(),
            home_url=self.home_url,
            author=AUTHOR,
            author_url=self.home_url,
            items=items,
            hub_url=self.hub_url,
        )
        response = cached_response(
            request.headers, render(document, fmt), fmt.media_type, document.last_modified
        )
        # -- WebSub discovery (accord.push.websub): the hub and the topic, also as HTTP Link headers --
        response.headers["Link"] = f'<{self.hub_url}>; rel="hub", <{document.feed_url}>; rel="self"'
        return response
