"""What the lists' filter inputs mean in SQL, by the kind each filter field is declared with
(accord.content.model). Filter values come as a mapping from the GraphQL field name to its value,
from strawberry's inputs and from the compiled path's coerced arguments alike."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import ColumnElement, exists, func, select

from accord.content.fields import FilterField
from accord.content.model import ContentType
from accord.core.errors import BadInput
from accord.core.tables import partners
from accord.core.text import check_argument
from accord.search.query import matching_ids

Filter = Mapping[str, Any]


def check_year_range(year_from: int | None, year_to: int | None, *, prefix: str = "filter") -> None:
    for name, value in (("yearFrom", year_from), ("yearTo", year_to)):
        if value is not None and not 1 <= value <= 9999:
            raise BadInput(f"{prefix}.{name} must be a year between 1 and 9999", field=f"{prefix}.{name}")
    if year_from is not None and year_to is not None and year_from > year_to:
        raise BadInput(
            f"impossible year range: {prefix}.yearFrom ({year_from}) is after {prefix}.yearTo ({year_to})",
            field=f"{prefix}.yearFrom",
        )


def _value(value: Any) -> Any:
    return getattr(value, "value", value)  # an enum member's value


def _partner_id_by_slug(slug: str) -> Any:
    named = partners.alias("filter_partner")
    return select(named.c.id).where(named.c.slug == slug).scalar_subquery()


class _Conditions:
    """One list's conditions: the content type, the visible statuses and the database dialect."""

    def __init__(self, content: ContentType, statuses: tuple[str, ...], dialect: str) -> None:
        self.content = content
        self.table = content.table
        self.statuses = statuses
        self.dialect = dialect

    def year_from(self, spec: FilterField, value: Any) -> ColumnElement[bool]:
        end = spec.options.get("end_year")
        start = spec.options["year"]
        # A period counts for every year it spans.
        condition: ColumnElement[bool] = (start if end is None else func.coalesce(end, start)) >= value
        return condition

    def year_to(self, spec: FilterField, value: Any) -> ColumnElement[bool]:
        return spec.options["year"] <= value  # type: ignore[no-any-return]

    def partner(self, spec: FilterField, value: Any) -> ColumnElement[bool]:
        link, own, target = spec.options["relation"]
        # An alias: the outer query may join the link table itself (a partner's events), and the
        # subquery must not correlate to that join.
        linked = link.alias("filter_partner_link")
        return (
            exists()
            .where(linked.c[own] == self.table.c.id, linked.c[target] == _partner_id_by_slug(value))
            .correlate(self.table)
        )

    def origin(self, spec: FilterField, value: Any) -> ColumnElement[bool]:
        return spec.options["column"] == _partner_id_by_slug(value)  # type: ignore[no-any-return]

    def choice(self, spec: FilterField, value: Any) -> ColumnElement[bool]:
        return self.table.c[spec.options["field"]] == _value(value)  # type: ignore[no-any-return]

    def tag(self, spec: FilterField, value: Any) -> ColumnElement[bool]:
        tagged = spec.options["table"].alias("filter_tag")
        return (
            exists().where(tagged.c.event_id == self.table.c.id, tagged.c.tag == value).correlate(self.table)
        )

    def flag(self, spec: FilterField, value: Any) -> ColumnElement[bool] | None:
        return spec.options["column"].is_(True) if value else None

    def country(self, spec: FilterField, value: Any) -> ColumnElement[bool]:
        return spec.options["column"] == value.upper()  # type: ignore[no-any-return]

    def text(self, spec: FilterField, value: Any) -> ColumnElement[bool]:
        kind = self.content.singular
        return self.table.c.id.in_(matching_ids(self.dialect, value, self.statuses, kind, "filter.text"))

    def status(self, spec: FilterField, value: Any) -> ColumnElement[bool]:
        return self.table.c.status == _value(value)  # type: ignore[no-any-return]


CONDITIONS: dict[str, Callable[[_Conditions, FilterField, Any], ColumnElement[bool] | None]] = {
    "year_from": _Conditions.year_from,
    "year_to": _Conditions.year_to,
    "partner": _Conditions.partner,
    "origin": _Conditions.origin,
    "choice": _Conditions.choice,
    "tag": _Conditions.tag,
    "flag": _Conditions.flag,
    "country": _Conditions.country,
    "text": _Conditions.text,
    "status": _Conditions.status,
}


def conditions(
    content: ContentType, values: Filter | None, statuses: tuple[str, ...], dialect: str
) -> list[ColumnElement[bool]]:
    """The WHERE conditions of a list of ``content`` visible with ``statuses``, filtered by ``values``."""
    found: list[ColumnElement[bool]] = [content.table.c.status.in_(statuses)]
    if not values:
        return found
    names = {spec.name for spec in content.filters}
    if "yearFrom" in names:
        check_year_range(values.get("yearFrom"), values.get("yearTo"))
    builder = _Conditions(content, statuses, dialect)
    for spec in content.filters:
        value = values.get(spec.name)
        if value is None:
            continue
        if isinstance(value, str):
            check_argument(value, f"filter.{spec.name}")
        condition = CONDITIONS[spec.kind](builder, spec, value)
        if condition is not None:
            found.append(condition)
    return found
