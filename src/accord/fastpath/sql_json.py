"""Compiles the selection on a list's nodes into one SQL expression that builds their JSON.

The database then answers a whole page (each node with its linked lists, nested as deep as the
query asks) in one statement, and the response embeds the text it returns without parsing it: no
row objects, no per-field Python. This is how a compiled-SQL server answers, and it is what makes a
front-page query cost a fraction of a millisecond of database time instead of several milliseconds
of Python.

Only fields whose value SQL can give exactly as the general executor does are compiled; any other
field (nested connections, anything unknown) raises Unsupported and the row-building
fast path answers instead. The SQL text holds no client input: response keys are GraphQL names
(``[_A-Za-z][_0-9A-Za-z]*``), locales and statuses come from closed enums, everything else is our
own table and column names.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy import Column, Table

from accord.models.enums import Locale
from accord.read.db import TABLE_OF_TYPE, event_tag
from accord.core.ids import SQLITE_GLOBAL_ID_FUNCTION
from accord.read.relations import RELATIONS, Relation

if TYPE_CHECKING:
    from accord.fastpath.executor import Run

NAME = re.compile(r"^[_A-Za-z][_0-9A-Za-z]*$")
# PostgreSQL functions take at most 100 arguments: json_build_object at most 50 keys.
MAX_KEYS = 50


class Unsupported(Exception):
    """This selection has a field SQL does not build here: the row-building path answers."""


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _month_name(month: str) -> str:
    names = " ".join(f"WHEN {number} THEN {_literal(calendar.month_name[number])}" for number in range(1, 13))
    return f"(CASE {month} {names} END)"


def _text(value: str) -> str:
    return f"CAST({value} AS TEXT)"


def date_label(year: str, month: str, day: str, locale: Locale) -> str:
    """PartialDate.label in SQL: '28 December 2024', 'August 2015', '2015' / '2024年12月28日'."""
    if locale is Locale.ZH_TW:
        # NULL || text is NULL in both databases: a missing part drops its suffix.
        return (
            f"({_text(year)} || '年' || COALESCE({_text(month)} || '月', '') "
            f"|| COALESCE({_text(day)} || '日', ''))"
        )
    name = _month_name(month)
    return (
        f"(CASE WHEN {month} IS NULL THEN {_text(year)} "
        f"WHEN {day} IS NULL THEN {name} || ' ' || {_text(year)} "
        f"ELSE {_text(day)} || ' ' || {name} || ' ' || {_text(year)} END)"
    )


class Compiler:
    """One compilation: fresh table aliases, the run's schema, variables, locale and visibility."""

    def __init__(self, run: Run) -> None:
        self.run = run
        self.dialect = run.db.dialect
        self.sqlite = self.dialect == "sqlite"
        self.statuses = ", ".join(_literal(status) for status in run.visibility.statuses)
        self.aliases = 0

    def alias(self) -> str:
        self.aliases += 1
        return f"j{self.aliases}"

    # -- JSON building blocks, per dialect ------------------------------------------------------

    def json_object(self, pairs: list[tuple[str, str]]) -> str:
        if len(pairs) > MAX_KEYS:
            raise Unsupported("too many fields for one JSON object")
        for key, _value in pairs:
            if not NAME.match(key):  # GraphQL names always match; never quote anything else
                raise Unsupported(f"response key {key!r}")
        function = "json_object" if self.sqlite else "json_build_object"
        inner = ", ".join(f"'{key}', {value}" for key, value in pairs)
        return f"{function}({inner})"

    def nested(self, value: str) -> str:
        """A JSON value from a subquery or a CASE: SQLite must be told it is JSON, not text."""
        return f"json({value})" if self.sqlite else value

    def boolean(self, column: str) -> str:
        return f"json(CASE WHEN {column} THEN 'true' ELSE 'false' END)" if self.sqlite else column

    def array(self, element: str, from_where: str, order: str) -> str:
        """A JSON array of ``element`` over the rows of ``from_where``, in ``order``; [] when none."""
        if self.sqlite:
            rows = f"SELECT {element} AS e {from_where} ORDER BY {order}"
            return f"json((SELECT json_group_array(json(e)) FROM ({rows})))"
        return f"(SELECT COALESCE(json_agg({element} ORDER BY {order}), '[]'::json) {from_where})"

    def text_array(self, element: str, from_where: str, order: str) -> str:
        if self.sqlite:
            rows = f"SELECT {element} AS e {from_where} ORDER BY {order}"
            return f"json((SELECT json_group_array(e) FROM ({rows})))"
        return f"(SELECT COALESCE(json_agg({element} ORDER BY {order}), '[]'::json) {from_where})"

    def global_id(self, type_name: str, id_: str) -> str:
        if self.sqlite:
            return f"{SQLITE_GLOBAL_ID_FUNCTION}({_literal(type_name)}, {id_})"
        raw = f"encode(convert_to({_literal(type_name + ':')} || {_text(id_)}, 'UTF8'), 'base64')"
        return f"rtrim(translate({raw}, '+/', '-_'), '=')"

    def pick(self, en: str, zh: str, locale: Locale) -> str:
        """accord.core.locale.pick: the translation when there is one, else English."""
        if locale is Locale.ZH_TW:
            return f"(CASE WHEN {zh} IS NOT NULL AND {zh} <> '' THEN {zh} ELSE COALESCE({en}, '') END)"
        return f"COALESCE({en}, '')"

    def iso(self, year: str, month: str, day: str) -> str:
        if self.sqlite:
            return (
                f"(CASE WHEN {month} IS NULL THEN printf('%04d', {year}) "
                f"WHEN {day} IS NULL THEN printf('%04d-%02d', {year}, {month}) "
                f"ELSE printf('%04d-%02d-%02d', {year}, {month}, {day}) END)"
            )
        y, m, d = (f"lpad({_text(part)}, {width}, '0')" for part, width in ((year, 4), (month, 2), (day, 2)))
        return (
            f"(CASE WHEN {month} IS NULL THEN {y} WHEN {day} IS NULL THEN {y} || '-' || {m} "
            f"ELSE {y} || '-' || {m} || '-' || {d} END)"
        )

    def timestamp(self, column: str) -> str:
        """datetime.isoformat() of the aware UTC timestamp, as strawberry's DateTime gives it:
        '2024-05-01T09:00:00+00:00', microseconds only when there are any."""
        if self.sqlite:
            # Stored naive UTC as 'YYYY-MM-DD HH:MM:SS.ffffff' (SQLAlchemy's SQLite format).
            seconds = f"substr({column}, 1, 19)"
            whole = f"(length({column}) = 19 OR substr({column}, 21, 6) = '000000')"
            text = f"(CASE WHEN {whole} THEN {seconds} ELSE substr({column}, 1, 26) END)"
            return f"(CASE WHEN {column} IS NULL THEN NULL ELSE replace({text}, ' ', 'T') || '+00:00' END)"
        utc = f"({column} AT TIME ZONE 'UTC')"
        micro = f"(CAST(date_part('microseconds', {utc}) AS BIGINT) % 1000000)"
        fraction = f"(CASE WHEN {micro} = 0 THEN '' ELSE to_char({utc}, '.US') END)"
        return (
            f"(CASE WHEN {column} IS NULL THEN NULL "
            f"""ELSE to_char({utc}, 'YYYY-MM-DD"T"HH24:MI:SS') || {fraction} || '+00:00' END)"""
        )

    # -- selections -----------------------------------------------------------------------------

    def locale_of(self, type_name: str, name: str, details: Any) -> Locale:
        if not details[0].node.arguments:
            return self.run.locale
        locale = self.run._arguments(self.run._type(type_name), name, details).get("locale")
        return locale if isinstance(locale, Locale) else self.run.locale

    def content(self, type_name: str, row: str, details: Any) -> str:
        """The JSON object of the selection ``details`` on the ``type_name`` row aliased ``row``."""
        fields = FIELDS[type_name]
        pairs: list[tuple[str, str]] = []
        for key, field_details in self.run._grouped(type_name, details).items():
            name = field_details[0].node.name.value
            build = fields.get(name)
            if build is None:
                raise Unsupported(f"{type_name}.{name}")
            pairs.append((key, build(self, type_name, row, name, field_details)))
        return self.json_object(pairs)

    def partial_date(
        self, details: Any, start: tuple[str, str, str], end: tuple[str, str, str] | None
    ) -> str:
        _year, month, day = start
        pairs: list[tuple[str, str]] = []
        for key, field_details in self.run._grouped("PartialDate", details).items():
            name = field_details[0].node.name.value
            if name in ("year", "month", "day"):
                value = dict(zip(("year", "month", "day"), start, strict=True))[name]
            elif name == "precision":
                value = (
                    f"(CASE WHEN {day} IS NOT NULL THEN 'DAY' "
                    f"WHEN {month} IS NOT NULL THEN 'MONTH' ELSE 'YEAR' END)"
                )
            elif name == "iso":
                value = self.iso(*start)
            elif name == "label":
                locale = self.locale_of("PartialDate", name, field_details)
                value = date_label(*start, locale)
                if end is not None:
                    joiner = "至" if locale is Locale.ZH_TW else " to "
                    value = (
                        f"(CASE WHEN {end[0]} IS NULL THEN {value} "
                        f"ELSE {value} || {_literal(joiner)} || {date_label(*end, locale)} END)"
                    )
            elif name == "__typename":
                value = "'PartialDate'"
            else:
                raise Unsupported(f"PartialDate.{name}")
            pairs.append((key, value))
        return self.json_object(pairs)

    def linked(self, relation: Relation, target_type: str, parent: str, details: Any) -> str:
        link, target = self.alias(), self.alias()
        order_table = link if relation.order.table is relation.link else target
        order = f"{order_table}.{_column_name(relation.order)}, {target}.id"
        from_where = (
            f"FROM {relation.link.name} {link} JOIN {relation.target.name} {target} "
            f"ON {target}.id = {link}.{relation.target_column} "
            f"WHERE {link}.{relation.own_column} = {parent}.id AND {target}.status IN ({self.statuses})"
        )
        return self.array(self.content(target_type, target, details), from_where, order)


def _column_name(column: Any) -> str:
    assert isinstance(column, Column)
    return str(column.name)


# (compiler, type name, row alias, field name, field details) -> SQL of the field's JSON value
FieldSql = Callable[[Compiler, str, str, str, Any], str]


def column(name: str) -> FieldSql:
    return lambda c, _t, row, _n, _d: f"{row}.{name}"


def timestamp(name: str) -> FieldSql:
    return lambda c, _t, row, _n, _d: c.timestamp(f"{row}.{name}")


def boolean(name: str) -> FieldSql:
    return lambda c, _t, row, _n, _d: c.boolean(f"{row}.{name}")


def localized(en: str, zh: str) -> FieldSql:
    return lambda c, t, row, n, d: c.pick(f"{row}.{en}", f"{row}.{zh}", c.locale_of(t, n, d))


def _typename(c: Compiler, type_name: str, _r: str, _n: str, _d: Any) -> str:
    return _literal(type_name)


def _id(c: Compiler, type_name: str, row: str, _n: str, _d: Any) -> str:
    return c.global_id(type_name, f"{row}.id")


def many(type_name: str, field: str, target: str) -> FieldSql:
    relation = RELATIONS[type_name, field]
    return lambda c, _t, row, _n, details: c.linked(relation, target, row, details)


def _parts(row: str, prefix: str) -> tuple[str, str, str]:
    return f"{row}.{prefix}year", f"{row}.{prefix}month", f"{row}.{prefix}day"


def _event_date(c: Compiler, _t: str, row: str, _n: str, details: Any) -> str:
    return c.partial_date(details, _parts(row, ""), _parts(row, "end_"))


def _event_end_date(c: Compiler, _t: str, row: str, _n: str, details: Any) -> str:
    built = c.partial_date(details, _parts(row, "end_"), None)
    return c.nested(f"CASE WHEN {row}.end_year IS NULL THEN NULL ELSE {built} END")


def _signed_on(c: Compiler, _t: str, row: str, _n: str, details: Any) -> str:
    built = c.partial_date(details, _parts(row, "signed_"), None)
    return c.nested(f"CASE WHEN {row}.signed_year IS NULL THEN NULL ELSE {built} END")


def _places(c: Compiler, type_name: str, row: str, name: str, details: Any) -> str:
    locale = c.locale_of(type_name, name, details)
    place = c.alias()
    if c.sqlite:
        en, zh = (f"json_extract({place}.value, '$.{key}')" for key in ("en", "zh_tw"))
        return c.text_array(c.pick(en, zh, locale), f"FROM json_each({row}.places) {place}", f"{place}.key")
    en, zh = (f"({place}.value ->> '{key}')" for key in ("en", "zh_tw"))
    return c.text_array(
        c.pick(en, zh, locale),
        f"FROM json_array_elements({row}.places) WITH ORDINALITY AS {place}(value, position)",
        f"{place}.position",
    )


def _tags(c: Compiler, _t: str, row: str, _n: str, _d: Any) -> str:
    tag = c.alias()
    return c.text_array(
        f"{tag}.tag",
        f"FROM {event_tag.name} {tag} WHERE {tag}.event_id = {row}.id",
        f"{tag}.position, {tag}.tag",
    )


def _origin(c: Compiler, _t: str, row: str, _n: str, details: Any) -> str:
    partner = c.alias()
    built = c.content("Partner", partner, details)
    table: Table = TABLE_OF_TYPE["Partner"]
    return c.nested(
        f"(SELECT {built} FROM {table.name} {partner} "
        f"WHERE {partner}.id = {row}.origin_id AND {partner}.status IN ({c.statuses}))"
    )


COMMON: dict[str, FieldSql] = {
    "__typename": _typename,
    "id": _id,
    "slug": column("slug"),
    "status": column("status"),
    "updatedAt": timestamp("updated_at"),
}

FIELDS: dict[str, dict[str, FieldSql]] = {
    "Event": {
        **COMMON,
        "title": localized("title_en", "title_zh"),
        "summary": localized("summary_en", "summary_zh"),
        "date": _event_date,
        "endDate": _event_end_date,
        "kind": column("kind"),
        "isMilestone": boolean("is_milestone"),
        "places": _places,
        "tags": _tags,
        "partners": many("Event", "partners", "Partner"),
        "agreements": many("Event", "agreements", "Agreement"),
        "exhibits": many("Event", "exhibits", "Exhibit"),
        "publishedAt": timestamp("published_at"),
    },
    "Partner": {
        **COMMON,
        "name": localized("name_en", "name_zh"),
        "shortName": column("short_name"),
        "kind": column("kind"),
        "country": column("country"),
        "website": column("website"),
        "agreements": many("Partner", "agreements", "Agreement"),
    },
    "Agreement": {
        **COMMON,
        "title": localized("title_en", "title_zh"),
        "summary": localized("summary_en", "summary_zh"),
        "kind": column("kind"),
        "signedOn": _signed_on,
        "parties": many("Agreement", "parties", "Partner"),
        "events": many("Agreement", "events", "Event"),
        "exhibits": many("Agreement", "exhibits", "Exhibit"),
    },
    "Exhibit": {
        **COMMON,
        "title": localized("title_en", "title_zh"),
        "description": localized("description_en", "description_zh"),
        "kind": column("kind"),
        "imageUrl": column("image_url"),
        "origin": _origin,
        "events": many("Exhibit", "events", "Event"),
        "agreements": many("Exhibit", "agreements", "Agreement"),
    },
}


def node_json(run: Run, type_name: str, details: Any) -> str:
    """SQL building the JSON of ``details`` on a ``type_name`` row of the statement's own table."""
    table: Table = TABLE_OF_TYPE[type_name]
    return Compiler(run).content(type_name, table.name, details)
