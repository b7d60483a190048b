"""Compiles a selection on content into one SQL expression that builds its JSON.

The database then answers a whole page (each node with its linked lists, nested as deep as the
query asks) in one statement, and the response embeds the text it returns without parsing it: no
row objects, no per-field Python. Fields are rendered by their kind in the content model
(``RENDERERS``), each in both dialects (``Dialect``: SQLite's json_object, PostgreSQL's
json_build_object), so a field declared in accord.content.model is compiled without more code.

Only fields whose value SQL gives exactly as strawberry does are compiled; anything else raises
Unsupported and strawberry answers the operation. The SQL text holds no client input: response
keys are GraphQL names (``[_A-Za-z][_0-9A-Za-z]*``), locales and statuses come from closed enums,
everything else is the model's own table and column names.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from graphql.execution.collect_fields import FieldDetailsList as Details

from accord.content.fields import (
    Choice,
    Date,
    Field,
    Flag,
    Images,
    Linked,
    Listing,
    Localized,
    Origin,
    Places,
    Tags,
    Text,
)
from accord.content.model import BY_NAME, ContentType
from accord.core.ids import SQLITE_GLOBAL_ID_FUNCTION
from accord.core.tables import images
from accord.media.formats import WIDTH_BANDS, WIDTHS, VariantFormat, nearest, served_formats
from accord.models.enums import Locale

if TYPE_CHECKING:
    from accord.fastpath.executor import Run

NAME = re.compile(r"^[_A-Za-z][_0-9A-Za-z]*$")
# PostgreSQL functions take at most 100 arguments: json_build_object at most 50 keys.
MAX_KEYS = 50
# SQLite's parser keeps nested expressions on a stack of 100 entries: past about 20 levels of
# parentheses a statement fails with "parser stack overflow" (measured: 19 levels parse, 21 do not),
# which four linked lists inside one another reach. Deeper selections are left to strawberry.
MAX_SQLITE_NESTING = 18


class Unsupported(Exception):
    """This selection has a field SQL does not build here: strawberry answers."""


def nesting(sql: str) -> int:
    """The deepest nesting of parentheses in ``sql``, outside string literals."""
    depth = deepest = 0
    quoted = False
    for character in sql:
        if character == "'":
            quoted = not quoted  # a doubled quote inside a literal toggles twice
        elif quoted:
            continue
        elif character == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif character == ")":
            depth -= 1
    return deepest


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _text(value: str) -> str:
    return f"CAST({value} AS TEXT)"


def _month_name(month: str) -> str:
    names = " ".join(f"WHEN {number} THEN {literal(calendar.month_name[number])}" for number in range(1, 13))
    return f"(CASE {month} {names} END)"


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


class Dialect:
    """The JSON building blocks of one database."""

    def __init__(self, name: str) -> None:
        self.sqlite = name == "sqlite"

    def json_object(self, pairs: list[tuple[str, str]]) -> str:
        if len(pairs) > MAX_KEYS:
            raise Unsupported("too many fields for one JSON object")
        for key, _value in pairs:
            if not NAME.match(key):  # GraphQL names always match; never quote anything else
                raise Unsupported(f"response key {key!r}")
        function = "json_object" if self.sqlite else "json_build_object"
        return f"{function}({', '.join(f'{literal(key)}, {value}' for key, value in pairs)})"

    def nested(self, value: str) -> str:
        """A JSON value from a subquery or a CASE: SQLite must be told it is JSON, not text."""
        return f"json({value})" if self.sqlite else value

    def boolean(self, column: str) -> str:
        return f"json(CASE WHEN {column} THEN 'true' ELSE 'false' END)" if self.sqlite else column

    def array(self, element: str, from_where: str, order: str, *, json_elements: bool = True) -> str:
        """A JSON array of ``element`` over the rows of ``from_where``, in ``order``; [] when none."""
        if self.sqlite:
            rows = f"SELECT {element} AS e {from_where} ORDER BY {order}"
            item = "json(e)" if json_elements else "e"
            return f"json((SELECT json_group_array({item}) FROM ({rows})))"
        return f"(SELECT COALESCE(json_agg({element} ORDER BY {order}), '[]'::json) {from_where})"

    def global_id(self, type_name: str, id_: str) -> str:
        if self.sqlite:
            return f"{SQLITE_GLOBAL_ID_FUNCTION}({literal(type_name)}, {id_})"
        raw = f"encode(convert_to({literal(type_name + ':')} || {_text(id_)}, 'UTF8'), 'base64')"
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


# A requested width only matters by how far it is from each variant width (all between 1 and the
# largest): clamped to this range, the nearest variant stays the same, and SQL stays in int4.
WIDTH_RANGE = (0, 2 * max(WIDTHS))
# Image columns a selection may read as they are (GraphQL name: column).
IMAGE_COLUMNS = {
    "width": "width",
    "height": "height",
    "credit": "credit",
    "placeholder": "placeholder",
    "dominantColor": "dominant_color",
}


def snapped_width(width: str, requested: int) -> str:
    """accord.media.formats.snap_width in SQL: the variant width of an image ``width`` pixels wide
    nearest to ``requested``, band by band (accord.media.formats.WIDTH_BANDS): in a band, either the
    nearest of its fixed widths or the image's own width, whichever is nearer (the own width, the
    larger, on a tie)."""
    cases: list[str] = []
    otherwise = str(max(WIDTHS))
    for band in WIDTH_BANDS:
        if band.up_to is None:
            otherwise = str(nearest(band.fixed, requested))
        elif not band.fixed:
            cases.append(f"WHEN {width} <= {band.up_to} THEN {width}")
        else:
            fixed = nearest(band.fixed, requested)
            own_is_nearer = f"abs({width} - {requested}) <= {abs(fixed - requested)}"
            choice = f"(CASE WHEN {own_is_nearer} THEN {width} ELSE {fixed} END)"
            cases.append(f"WHEN {width} <= {band.up_to} THEN {choice}")
    return f"(CASE {' '.join(cases)} ELSE {otherwise} END)"


@dataclass(frozen=True, slots=True)
class Compiled:
    """The SQL building an object's JSON, and the response keys it leaves ``null`` for the executor
    to fill in (nested connections, only at the top level), with their field names."""

    sql: str
    deferred: tuple[tuple[str, str], ...] = ()

    @property
    def size(self) -> int:
        return len(self.sql) + 100 * len(self.deferred)


@dataclass
class Compiler:
    """One compilation: fresh table aliases, the run's selection, locale and visibility."""

    run: Run
    # Connections inside the compiled object, filled in afterwards (only at the top level).
    deferred: list[tuple[str, str]] | None = None
    aliases: int = 0
    dialect: Dialect = field(init=False)
    statuses: str = field(init=False)

    def __post_init__(self) -> None:
        self.dialect = Dialect(self.run.db.dialect)
        self.statuses = ", ".join(literal(status) for status in self.run.visibility.statuses)

    def alias(self) -> str:
        self.aliases += 1
        return f"j{self.aliases}"

    def locale_of(self, type_name: str, name: str, details: Details) -> Locale:
        if not details[0].node.arguments:
            return self.run.locale
        locale = self.run.arguments(type_name, name, details).get("locale")
        return locale if isinstance(locale, Locale) else self.run.locale

    def content(self, content: ContentType, row: str, details: Details, *, top: bool = False) -> str:
        """The JSON object of the selection ``details`` on the ``content`` row aliased ``row``."""
        d = self.dialect
        common: dict[str, Callable[[], str]] = {
            "__typename": lambda: literal(content.name),
            "id": lambda: d.global_id(content.name, f"{row}.id"),
            "slug": lambda: f"{row}.slug",
            "status": lambda: f"{row}.status",
            "updatedAt": lambda: d.timestamp(f"{row}.updated_at"),
            # Only for those who see drafts (accord.schema.types); the SQL is kept per visibility.
            "scheduledAt": lambda: (
                d.timestamp(f"{row}.scheduled_at") if self.run.visibility.sees_schedules else "NULL"
            ),
        }
        if content.shows_published_at:
            common["publishedAt"] = lambda: d.timestamp(f"{row}.published_at")
        declared = {spec.name: spec for spec in content.fields}
        pairs: list[tuple[str, str]] = []
        for key, field_details in self.run.grouped(content.name, details).items():
            name = field_details[0].node.name.value
            if name in common:
                pairs.append((key, common[name]()))
                continue
            spec = declared.get(name)
            if spec is None:
                raise Unsupported(f"{content.name}.{name}")
            if isinstance(spec, Listing):
                if not top or self.deferred is None:
                    raise Unsupported(f"{content.name}.{name} below the top level")
                self.deferred.append((key, spec.name))
                pairs.append((key, "NULL"))
                continue
            pairs.append((key, RENDERERS[type(spec)](self, content, spec, row, field_details)))
        return self.dialect.json_object(pairs)

    def partial_date(
        self, details: Details, start: tuple[str, str, str], end: tuple[str, str, str] | None
    ) -> str:
        _year, month, day = start
        pairs: list[tuple[str, str]] = []
        for key, field_details in self.run.grouped("PartialDate", details).items():
            name = field_details[0].node.name.value
            if name in ("year", "month", "day"):
                value = dict(zip(("year", "month", "day"), start, strict=True))[name]
            elif name == "precision":
                value = (
                    f"(CASE WHEN {day} IS NOT NULL THEN 'DAY' "
                    f"WHEN {month} IS NOT NULL THEN 'MONTH' ELSE 'YEAR' END)"
                )
            elif name == "iso":
                value = self.dialect.iso(*start)
            elif name == "label":
                locale = self.locale_of("PartialDate", name, field_details)
                value = date_label(*start, locale)
                if end is not None:
                    joiner = "至" if locale is Locale.ZH_TW else " to "
                    value = (
                        f"(CASE WHEN {end[0]} IS NULL THEN {value} "
                        f"ELSE {value} || {literal(joiner)} || {date_label(*end, locale)} END)"
                    )
            elif name == "__typename":
                value = "'PartialDate'"
            else:
                raise Unsupported(f"PartialDate.{name}")
            pairs.append((key, value))
        return self.dialect.json_object(pairs)

    # -- one renderer per kind ----------------------------------------------------------------

    def text(self, content: ContentType, spec: Text, row: str, details: Details) -> str:
        return f"{row}.{spec.column}"

    def flag(self, content: ContentType, spec: Flag, row: str, details: Details) -> str:
        return self.dialect.boolean(f"{row}.{spec.column}")

    def localized(self, content: ContentType, spec: Localized, row: str, details: Details) -> str:
        locale = self.locale_of(content.name, spec.name, details)
        return self.dialect.pick(f"{row}.{spec.en}", f"{row}.{spec.zh}", locale)

    def date(self, content: ContentType, spec: Date, row: str, details: Details) -> str:
        start = tuple(f"{row}.{column}" for column in spec.columns)
        end_spec = content.field(spec.period_end) if spec.period_end else None
        end = None
        if isinstance(end_spec, Date):
            end = tuple(f"{row}.{column}" for column in end_spec.columns)
        built = self.partial_date(details, start, end)  # type: ignore[arg-type]
        if spec.required:
            return built
        return self.dialect.nested(f"CASE WHEN {start[0]} IS NULL THEN NULL ELSE {built} END")

    def places(self, content: ContentType, spec: Places, row: str, details: Details) -> str:
        locale = self.locale_of(content.name, spec.name, details)
        place = self.alias()
        d = self.dialect
        if d.sqlite:
            en, zh = (f"json_extract({place}.value, '$.{key}')" for key in ("en", "zh_tw"))
            from_where = f"FROM json_each({row}.{spec.column}) {place}"
            return d.array(d.pick(en, zh, locale), from_where, f"{place}.key", json_elements=False)
        en, zh = (f"({place}.value ->> '{key}')" for key in ("en", "zh_tw"))
        from_where = (
            f"FROM json_array_elements({row}.{spec.column}) WITH ORDINALITY AS {place}(value, position)"
        )
        return d.array(d.pick(en, zh, locale), from_where, f"{place}.position", json_elements=False)

    def tags(self, content: ContentType, spec: Tags, row: str, details: Details) -> str:
        tag = self.alias()
        from_where = f"FROM {spec.table.name} {tag} WHERE {tag}.event_id = {row}.id"
        return self.dialect.array(f"{tag}.tag", from_where, f"{tag}.position, {tag}.tag", json_elements=False)

    def linked(self, content: ContentType, spec: Linked, row: str, details: Details) -> str:
        relation, target = spec.relation, BY_NAME[spec.target]
        link, child = self.alias(), self.alias()
        order_table = link if relation.order.table is relation.link else child
        order = f"{order_table}.{relation.order.name}, {child}.id"
        from_where = (
            f"FROM {relation.link.name} {link} JOIN {target.table.name} {child} "
            f"ON {child}.id = {link}.{relation.target_column} "
            f"WHERE {link}.{relation.own_column} = {row}.id AND {child}.status IN ({self.statuses})"
        )
        return self.dialect.array(self.content(target, child, details), from_where, order)

    def origin(self, content: ContentType, spec: Origin, row: str, details: Details) -> str:
        target = BY_NAME[spec.target]
        child = self.alias()
        built = self.content(target, child, details)
        return self.dialect.nested(
            f"(SELECT {built} FROM {target.table.name} {child} "
            f"WHERE {child}.id = {row}.{spec.column} AND {child}.status IN ({self.statuses}))"
        )

    def images(self, content: ContentType, spec: Images, row: str, details: Details) -> str:
        link, image = self.alias(), self.alias()
        from_where = (
            f"FROM {spec.link.name} {link} JOIN {images.name} {image} ON {image}.id = {link}.image_id "
            f"WHERE {link}.{spec.own_column} = {row}.id"
        )
        order = f"{link}.position, {link}.image_id"
        return self.dialect.array(self.image(image, details), from_where, order)

    def image(self, image: str, details: Details) -> str:
        """The JSON object of an ``Image`` selection on the image row aliased ``image``."""
        pairs: list[tuple[str, str]] = []
        for key, field_details in self.run.grouped("Image", details).items():
            name = field_details[0].node.name.value
            if name in IMAGE_COLUMNS:
                value = f"{image}.{IMAGE_COLUMNS[name]}"
            elif name == "id":
                value = self.dialect.global_id("Image", f"{image}.id")
            elif name == "alt":
                locale = self.locale_of("Image", name, field_details)
                value = self.dialect.pick(f"{image}.alt_en", f"{image}.alt_zh", locale)
            elif name in ("url", "srcset"):
                arguments = self.run.arguments("Image", name, field_details)
                fmt = arguments.get("format")
                if fmt is not None and (not isinstance(fmt, VariantFormat) or fmt not in served_formats()):
                    raise Unsupported(f"Image.{name} in a format this server does not serve")
                if name == "url":
                    value = self.image_url(image, arguments.get("width"), fmt)
                else:
                    value = self.image_srcset(image, fmt)
            elif name == "__typename":
                value = "'Image'"
            else:
                raise Unsupported(f"Image.{name}")
            pairs.append((key, value))
        return self.dialect.json_object(pairs)

    def _media_prefix(self, image: str) -> str:
        """``{public URL}/media/{content hash}/`` (accord.media.formats.media_url)."""
        return f"({literal(self.run.media_base + '/media/')} || {image}.content_hash || '/')"

    def image_url(self, image: str, requested: Any, fmt: VariantFormat | None) -> str:
        """accord.media.formats.media_url in SQL."""
        if requested is None:
            requested = max(WIDTHS)
        if not isinstance(requested, int):
            raise Unsupported("Image.url with a width that is not a whole number")
        clamped = min(max(requested, WIDTH_RANGE[0]), WIDTH_RANGE[1])
        suffix = "" if fmt is None else f".{fmt.value}"
        snapped = _text(snapped_width(f"{image}.width", clamped))
        return f"({self._media_prefix(image)} || {snapped} || {literal(suffix)})"

    def image_srcset(self, image: str, fmt: VariantFormat | None) -> str:
        """accord.media.formats.srcset in SQL: every variant width of the image's band, with its URL."""
        prefix = self._media_prefix(image)
        suffix = "" if fmt is None else f".{fmt.value}"
        width = f"{image}.width"

        def entry(variant: str) -> str:
            return f"{prefix} || {_text(variant)} || {literal(suffix + ' ')} || {_text(variant)} || 'w'"

        cases: list[str] = []
        for band in WIDTH_BANDS:
            entries = [entry(str(fixed)) for fixed in band.fixed]
            if band.up_to is not None:
                entries.append(entry(width))
            joined = " || ', ' || ".join(entries)
            cases.append(joined if band.up_to is None else f"WHEN {width} <= {band.up_to} THEN {joined}")
        last = cases.pop()
        return f"(CASE {' '.join(cases)} ELSE {last} END)"


RENDERERS: dict[type[Field], Callable[[Compiler, ContentType, Any, str, Any], str]] = {
    Text: Compiler.text,
    Flag: Compiler.flag,
    Choice: Compiler.text,  # the column holds the enum value GraphQL answers
    Localized: Compiler.localized,
    Date: Compiler.date,
    Places: Compiler.places,
    Tags: Compiler.tags,
    Linked: Compiler.linked,
    Images: Compiler.images,
    Origin: Compiler.origin,
}


def node_json(run: Run, content: ContentType, details: Details, *, top: bool = False) -> Compiled:
    """SQL building the JSON of ``details`` on a row of ``content`` in the statement's own table.
    With ``top``, nested connections are left ``null`` and listed for the caller to fill in."""
    compiler = Compiler(run, [] if top else None)
    built = compiler.content(content, content.table.name, details, top=top)
    if compiler.dialect.sqlite and nesting(built) > MAX_SQLITE_NESTING:
        raise Unsupported("nested too deep for SQLite's parser")
    # asyncpg hands json back as bytes for a column of unknown type; text comes back as str.
    sql = built if compiler.dialect.sqlite else f"CAST({built} AS TEXT)"
    return Compiled(sql, tuple(compiler.deferred or ()))
