"""How each field of each type is built from rows: the same values strawberry's types give.

Every builder fills one response key for a whole list of parents at once, so a relation costs one
batched query per level, as with the DataLoaders.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from accord.core.dates import PartialDate, optional_date, period_label
from accord.models.enums import Locale
from accord.read import relations
from accord.core.ids import to_global_id
from accord.core.locale import pick

if TYPE_CHECKING:
    from accord.fastpath.executor import Run

# (run, parents, outputs, response key, field details, arguments) -> None
BuildFn = Callable[["Run", list[Any], list[dict[str, Any]], str, Any, dict[str, Any]], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Builder:
    """How one field is built, and which columns of the parent rows it reads (the planner selects
    only those: no column is read, and no timestamp converted, that the answer does not show)."""

    build: BuildFn
    columns: tuple[str, ...] = ()


def _iso(moment: Any) -> str | None:
    return None if moment is None else moment.isoformat()


def _locale(run: Run, args: dict[str, Any]) -> Locale:
    locale = args.get("locale")
    return locale if isinstance(locale, Locale) else run.locale


def attribute(name: str, convert: Callable[[Any], Any] | None = None) -> Builder:
    async def build(
        run: Run, rows: list[Any], outs: list[dict[str, Any]], key: str, _d: Any, _a: dict[str, Any]
    ) -> None:
        if convert is None:
            for row, out in zip(rows, outs, strict=True):
                out[key] = getattr(row, name)
        else:
            for row, out in zip(rows, outs, strict=True):
                out[key] = convert(getattr(row, name))

    return Builder(build, (name,))


def global_id(type_name: str) -> Builder:
    async def build(
        run: Run, rows: list[Any], outs: list[dict[str, Any]], key: str, _d: Any, _a: dict[str, Any]
    ) -> None:
        for row, out in zip(rows, outs, strict=True):
            out[key] = to_global_id(type_name, row.id)

    return Builder(build, ("id",))


def localized(en: str, zh: str) -> Builder:
    async def build(
        run: Run, rows: list[Any], outs: list[dict[str, Any]], key: str, _d: Any, args: dict[str, Any]
    ) -> None:
        locale = _locale(run, args)
        for row, out in zip(rows, outs, strict=True):
            out[key] = pick(getattr(row, en), getattr(row, zh), locale)

    return Builder(build, (en, zh))


def typename(name: str) -> Builder:
    async def build(
        run: Run, rows: list[Any], outs: list[dict[str, Any]], key: str, _d: Any, _a: dict[str, Any]
    ) -> None:
        for out in outs:
            out[key] = name

    return Builder(build)


async def _places(
    run: Run, rows: list[Any], outs: list[dict[str, Any]], key: str, _d: Any, args: dict[str, Any]
) -> None:
    locale = _locale(run, args)
    for row, out in zip(rows, outs, strict=True):
        out[key] = [pick(place.get("en"), place.get("zh_tw"), locale) for place in row.places]


async def _tags(
    run: Run, rows: list[Any], outs: list[dict[str, Any]], key: str, _d: Any, _a: dict[str, Any]
) -> None:
    found = await relations.tags_of_events(run.db, _unique_ids(rows))
    by_id = dict(zip(_unique_ids(rows), found, strict=True))
    for row, out in zip(rows, outs, strict=True):
        out[key] = list(by_id[row.id])


places = Builder(_places, ("places",))
tags = Builder(_tags, ("id",))


def _unique_ids(rows: list[Any]) -> list[int]:
    return list(dict.fromkeys(row.id for row in rows))


# PartialDate "rows" are (value, period end) pairs.
DateRow = tuple[PartialDate, PartialDate | None]


def partial_date(get: Callable[[Any], DateRow | None], columns: tuple[str, ...]) -> Builder:
    async def build(
        run: Run, rows: list[Any], outs: list[dict[str, Any]], key: str, details: Any, _a: dict[str, Any]
    ) -> None:
        values = [get(row) for row in rows]
        present = [value for value in values if value is not None]
        built = iter(await run.objects("PartialDate", present, details))
        for value, out in zip(values, outs, strict=True):
            out[key] = None if value is None else next(built)

    return Builder(build, columns)


EVENT_DATE_COLUMNS = ("year", "month", "day", "end_year", "end_month", "end_day")
SIGNED_COLUMNS = ("signed_year", "signed_month", "signed_day")


def event_date(row: Any) -> DateRow:
    return PartialDate(row.year, row.month, row.day), optional_date(row.end_year, row.end_month, row.end_day)


def event_end_date(row: Any) -> DateRow | None:
    end = optional_date(row.end_year, row.end_month, row.end_day)
    return None if end is None else (end, None)


def signed_on(row: Any) -> DateRow | None:
    value = optional_date(row.signed_year, row.signed_month, row.signed_day)
    return None if value is None else (value, None)


async def _date_label(
    run: Run, rows: list[Any], outs: list[dict[str, Any]], key: str, _d: Any, args: dict[str, Any]
) -> None:
    locale = _locale(run, args)
    for (value, end), out in zip(rows, outs, strict=True):
        out[key] = period_label(value, end, locale)


date_label = Builder(_date_label)


def date_part(get: Callable[[PartialDate], Any]) -> Builder:
    async def build(
        run: Run, rows: list[Any], outs: list[dict[str, Any]], key: str, _d: Any, _a: dict[str, Any]
    ) -> None:
        for (value, _end), out in zip(rows, outs, strict=True):
            out[key] = get(value)

    return Builder(build)


def many(parent: str, field: str) -> Builder:
    """A list relation: one batched query for every parent, reading only the columns the children's
    selection needs, then the children's fields in one go."""
    relation = relations.RELATIONS[parent, field]
    target = CHILD_TYPES[parent, field]

    async def build(
        run: Run, rows: list[Any], outs: list[dict[str, Any]], key: str, details: Any, _a: dict[str, Any]
    ) -> None:
        ids = _unique_ids(rows)
        columns = run.columns_for(target, details)
        loaded = (
            await relations.load_linked(run.db, relation, ids, run.visibility.statuses, columns)
            if ids
            else []
        )
        groups = dict(zip(ids, loaded, strict=True))
        children = [child for row in rows for child in groups[row.id]]
        built = iter(await run.objects(target, children, details))
        for row, out in zip(rows, outs, strict=True):
            out[key] = [next(built) for _ in groups[row.id]]

    return Builder(build, ("id",))


CHILD_TYPES = {
    ("Event", "partners"): "Partner",
    ("Event", "agreements"): "Agreement",
    ("Event", "exhibits"): "Exhibit",
    ("Agreement", "parties"): "Partner",
    ("Agreement", "events"): "Event",
    ("Agreement", "exhibits"): "Exhibit",
    ("Partner", "agreements"): "Agreement",
    ("Exhibit", "events"): "Event",
    ("Exhibit", "agreements"): "Agreement",
}


async def _origin(
    run: Run, rows: list[Any], outs: list[dict[str, Any]], key: str, details: Any, _a: dict[str, Any]
) -> None:
    ids = list(dict.fromkeys(row.origin_id for row in rows if row.origin_id is not None))
    found = (
        dict(zip(ids, await relations.partners_by_id(run.db, ids, run.visibility.statuses), strict=True))
        if ids
        else {}
    )
    partners = [found.get(row.origin_id) if row.origin_id is not None else None for row in rows]
    present = [partner for partner in partners if partner is not None]
    built = iter(await run.objects("Partner", present, details))
    for partner, out in zip(partners, outs, strict=True):
        out[key] = None if partner is None else next(built)


origin = Builder(_origin, ("origin_id",))


def content_fields(type_name: str) -> dict[str, Builder]:
    return {
        "__typename": typename(type_name),
        "id": global_id(type_name),
        "slug": attribute("slug"),
        "status": attribute("status"),
        "updatedAt": attribute("updated_at", _iso),
    }


BUILDERS: dict[str, dict[str, Builder]] = {
    "Event": {
        **content_fields("Event"),
        "title": localized("title_en", "title_zh"),
        "summary": localized("summary_en", "summary_zh"),
        "date": partial_date(event_date, EVENT_DATE_COLUMNS),
        "endDate": partial_date(event_end_date, EVENT_DATE_COLUMNS),
        "kind": attribute("kind"),
        "isMilestone": attribute("is_milestone"),
        "places": places,
        "tags": tags,
        "partners": many("Event", "partners"),
        "agreements": many("Event", "agreements"),
        "exhibits": many("Event", "exhibits"),
        "publishedAt": attribute("published_at", _iso),
    },
    "Partner": {
        **content_fields("Partner"),
        "name": localized("name_en", "name_zh"),
        "shortName": attribute("short_name"),
        "kind": attribute("kind"),
        "country": attribute("country"),
        "website": attribute("website"),
        "agreements": many("Partner", "agreements"),
    },
    "Agreement": {
        **content_fields("Agreement"),
        "title": localized("title_en", "title_zh"),
        "summary": localized("summary_en", "summary_zh"),
        "kind": attribute("kind"),
        "signedOn": partial_date(signed_on, SIGNED_COLUMNS),
        "parties": many("Agreement", "parties"),
        "events": many("Agreement", "events"),
        "exhibits": many("Agreement", "exhibits"),
    },
    "Exhibit": {
        **content_fields("Exhibit"),
        "title": localized("title_en", "title_zh"),
        "description": localized("description_en", "description_zh"),
        "kind": attribute("kind"),
        "imageUrl": attribute("image_url"),
        "origin": origin,
        "events": many("Exhibit", "events"),
        "agreements": many("Exhibit", "agreements"),
    },
    "PartialDate": {
        "__typename": typename("PartialDate"),
        "year": date_part(lambda value: value.year),
        "month": date_part(lambda value: value.month),
        "day": date_part(lambda value: value.day),
        "precision": date_part(lambda value: value.precision.value),
        "iso": date_part(lambda value: value.iso),
        "label": date_label,
    },
}
