"""Feed entries, read through the read resolvers: published content only (PUBLIC visibility), or,
for a request with a token, what that token sees over GraphQL."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from accord.content.fields import Images
from accord.content.model import EVENT, PARTNER, ContentType
from accord.core.dates import PartialDate, optional_date, period_label
from accord.core.ids import to_global_id
from accord.core.locale import pick
from accord.core.row_types import EventRow, ImageRow, PartnerRow, ResultRow
from accord.core.visibility import PUBLIC, Visibility
from accord.feeds.links import event_url
from accord.media import VariantFormat, media_url
from accord.models.enums import Locale
from accord.read import lists
from accord.read.db import Reader
from accord.read.filters import Filter
from accord.read.pagination import MAX_PAGE_SIZE, PageRequest
from accord.read.relations import load_images, load_linked, load_tags

# An entry's picture: its event's first image, as a JPEG (what every feed reader shows) wide enough for
# a reader's article view.
ENCLOSURE_WIDTH = 1280
ENCLOSURE_FORMAT = VariantFormat.JPEG


@dataclass(frozen=True, slots=True)
class PartnerRef:
    slug: str
    name: str


@dataclass(frozen=True, slots=True)
class FeedImage:
    url: str
    media_type: str
    alt: str


@dataclass(frozen=True, slots=True)
class FeedItem:
    id: str
    """``urn:accord:event:<global id>``: the same for the life of the event, whatever is edited."""
    url: str
    title: str
    """The event's date (or period) as the timeline labels it, then its title: feed readers list
    entries by title and publication time, and the publication time is when the entry was put on
    line, not when the event happened (the seed's 1972 conference was published with the seed)."""
    summary: str
    date_label: str
    published: datetime
    updated: datetime
    changed: datetime
    """The newest timestamp behind the entry: its publication, its last edit, its partners' edits."""
    tags: tuple[str, ...]
    partners: tuple[PartnerRef, ...]
    text: str
    """The body of the entry: the event's date (or period), then its summary, on one line (RSS
    readers show a description as HTML, where line breaks would vanish)."""
    image: FeedImage | None = None
    """The event's first picture: RSS ``enclosure``, Atom ``link rel="enclosure"``, JSON Feed ``image``."""


def entry_text(date_label: str, text: str, locale: Locale) -> str:
    """'August 2015: In August 2015, ...' / '2015年8月：2015年8月，...' (the body, and the title)."""
    if not text:
        return date_label
    return f"{date_label}：{text}" if locale is Locale.ZH_TW else f"{date_label}: {text}"


async def published_events(
    db: Reader, event_filter: Filter, limit: int, visibility: Visibility = PUBLIC
) -> Sequence[EventRow]:
    """The first ``limit`` events matching the filter (published ones, unless ``visibility`` shows
    more), newest event date first."""
    return await _listed(db, EVENT, visibility, "DATE_DESC", limit, event_filter)


async def _listed(
    db: Reader,
    content: ContentType,
    visibility: Visibility,
    order: str,
    limit: int | None = None,
    item_filter: Filter | None = None,
) -> list[ResultRow]:
    """The first ``limit`` items of a list (None: all of them), read page by page."""
    rows: list[ResultRow] = []
    after: str | None = None
    while limit is None or len(rows) < limit:
        first = MAX_PAGE_SIZE if limit is None else min(MAX_PAGE_SIZE, limit - len(rows))
        page = await lists.list_items(
            db,
            content,
            visibility=visibility,
            filter=item_filter,
            order=order,
            page=PageRequest(first=first, after=after),
        )
        rows.extend(page.items)
        if not page.has_next_page or not page.cursors:
            break
        after = page.cursors[-1]
    return rows


async def feed_items(
    db: Reader, rows: Sequence[EventRow], *, locale: Locale, public_url: str, visibility: Visibility = PUBLIC
) -> list[FeedItem]:
    """Entries for event rows, in their order, with their tags and (published) partners."""
    if not rows:
        return []
    ids = [row.id for row in rows]
    partner_lists: Sequence[Sequence[PartnerRow]] = await load_linked(
        db, EVENT.linked("partners").relation, ids, visibility.statuses
    )
    tag_lists = await load_tags(db, ids)
    [pictures] = EVENT.of_kind(Images)
    image_lists: Sequence[Sequence[ImageRow]] = await load_images(db, pictures, ids)
    items = []
    for row, partners, tags, images in zip(rows, partner_lists, tag_lists, image_lists, strict=True):
        start = PartialDate(row.year, row.month, row.day)
        end = optional_date(row.end_year, row.end_month, row.end_day)
        published = row.published_at or row.updated_at
        date_label = period_label(start, end, locale)
        summary = pick(row.summary_en, row.summary_zh, locale)
        items.append(
            FeedItem(
                id=f"urn:accord:event:{to_global_id(EVENT.name, row.id)}",
                url=event_url(public_url, row.slug),
                title=entry_text(date_label, pick(row.title_en, row.title_zh, locale), locale),
                summary=summary,
                date_label=date_label,
                published=published,
                updated=row.updated_at,
                changed=max(
                    [published, row.updated_at, *(p.updated_at for p in partners)]
                    + [image.updated_at for image in images]
                ),
                tags=tuple(tags),
                partners=tuple(PartnerRef(p.slug, pick(p.name_en, p.name_zh, locale)) for p in partners),
                text=entry_text(date_label, summary, locale),
                image=_feed_image(images[0], public_url, locale) if images else None,
            )
        )
    return items


def _feed_image(image: ImageRow, public_url: str, locale: Locale) -> FeedImage:
    url = media_url(public_url, image.content_hash, image.width, ENCLOSURE_WIDTH, ENCLOSURE_FORMAT)
    return FeedImage(url, ENCLOSURE_FORMAT.media_type, pick(image.alt_en, image.alt_zh, locale))


async def published_partner(db: Reader, slug: str, visibility: Visibility = PUBLIC) -> PartnerRow | None:
    return await lists.get_by_slug(db, PARTNER, slug, visibility)


async def published_partners(db: Reader, visibility: Visibility = PUBLIC) -> Sequence[PartnerRow]:
    """Every published partner (every partner ``visibility`` shows), by English name."""
    return await _listed(db, PARTNER, visibility, "NAME_ASC")
