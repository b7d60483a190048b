"""Text XML cannot carry: refused on every way in, dropped on every XML way out.

A vertical tab pasted from a word processor into a title used to turn the RSS and Atom feeds into a
500 and the OPML list into a document no parser accepts. Writes (mutations, `accord fixtures load`,
`accord import`) now refuse C0 control characters other than tab, LF and CR, U+FFFE, U+FFFF and
lone surrogates, naming the field; and rows stored before that rule (written here straight into the
database) still give feeds that parse.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree
from xml.sax.saxutils import escape

import feedparser
import httpx
import orjson
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text

from accord.core.text import first_forbidden, xml_safe
from accord.db import create_sync_engine
from tests.harness.clients import post
from tests.harness.databases import seed, sqlite_url
from tests.harness.server import LiveServer, live_server, run_accord
from tests.harness.tokens import bearer, create_token

# One of each kind XML 1.0 leaves out: C0 controls (the first, the word processor's vertical tab
# and form feed, the last), the two noncharacters.
FORBIDDEN = {
    "U+0000": "\x00",
    "U+0001": "\x01",
    "U+000B": "\x0b",
    "U+000C": "\x0c",
    "U+001F": "\x1f",
    "U+FFFE": "\ufffe",
    "U+FFFF": "\uffff",
}
# What ordinary text holds and must keep: tab, line breaks of both kinds, CJK, DEL and C1 controls
# (which XML 1.0 allows), and a character outside the Basic Multilingual Plane.
ORDINARY = "關務合作\t論壇\n第二行\r\n第三行 \x7f\x85 𠀀 — Geneva"

TABLES = ("event", "partner", "agreement", "exhibit", "event_tag", "revision", "change_log")

CREATE_EVENT = """mutation($input: EventInput!) { createEvent(input: $input) {
  id title(locale: EN) zh: title(locale: ZH_TW) summary places } }"""
UPDATE_PARTNER = "mutation($id: ID!, $input: PartnerPatch!) { updatePartner(id: $id, input: $input) { id } }"
CREATE_AGREEMENT = "mutation($input: AgreementInput!) { createAgreement(input: $input) { id } }"
CREATE_EXHIBIT = "mutation($input: ExhibitInput!) { createExhibit(input: $input) { id } }"


@dataclass
class Writable:
    server: LiveServer
    url: str
    editor: dict[str, str]

    def counts(self) -> dict[str, int]:
        engine = create_sync_engine(self.url)
        try:
            with engine.connect() as conn:
                return {
                    name: conn.execute(text(f"SELECT count(*) FROM {name}")).scalar_one() for name in TABLES
                }
        finally:
            engine.dispose()

    def send(self, document: str, variables: dict[str, Any]) -> dict[str, Any]:
        response = post(self.server, document, variables, headers=self.editor)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


@pytest.fixture(scope="module")
def writable(tmp_path_factory: pytest.TempPathFactory, logs: Path) -> Iterator[Writable]:
    url = sqlite_url(tmp_path_factory.mktemp("hostile-text"))
    seed(url)
    with live_server(url, logs) as server:
        yield Writable(server, url, bearer(create_token(server.env, "editor-ed")))


def event_input(**overrides: Any) -> dict[str, Any]:
    return {"title": {"en": "Customs forum"}, "date": {"year": 2016}, "kind": "CONFERENCE"} | overrides


def partner_id(writable: Writable) -> str:
    body = writable.send('{ partner(slug: "wto") { id } }', {})
    return str(body["data"]["partner"]["id"])


def cases(writable: Writable, bad: str) -> list[tuple[str, dict[str, Any], str]]:
    """(mutation, variables, the field it must name) for text fields of every content type. (A
    character that also breaks a field's pattern, a URL's, may be refused for that instead: the
    code and the field are the same.)"""
    wto = partner_id(writable)
    return [
        (CREATE_EVENT, {"input": event_input(title={"en": f"Customs{bad}forum"})}, "input.title.en"),
        (
            CREATE_EVENT,
            {"input": event_input(title={"en": "Forum", "zhTw": f"論壇{bad}"})},
            "input.title.zhTw",
        ),
        (CREATE_EVENT, {"input": event_input(summary={"en": f"{bad}A forum."})}, "input.summary.en"),
        (
            CREATE_EVENT,
            {"input": event_input(places=[{"en": "Geneva"}, {"en": "Bern", "zhTw": f"伯恩{bad}"}])},
            "input.places[1].zhTw",
        ),
        (UPDATE_PARTNER, {"id": wto, "input": {"name": {"en": f"World{bad}Trade"}}}, "input.name.en"),
        (UPDATE_PARTNER, {"id": wto, "input": {"shortName": f"W{bad}TO"}}, "input.shortName"),
        (
            UPDATE_PARTNER,
            {"id": wto, "input": {"website": f"https://wto.example/{bad}"}},
            "input.website",
        ),
        (
            CREATE_AGREEMENT,
            {"input": {"title": {"en": "MoU"}, "summary": {"en": f"a{bad}b"}, "kind": "OTHER"}},
            "input.summary.en",
        ),
        (
            CREATE_EXHIBIT,
            {"input": {"title": {"en": "Cap"}, "description": {"en": f"a{bad}"}, "kind": "UNIFORM"}},
            "input.description.en",
        ),
    ]


@pytest.mark.parametrize("name", FORBIDDEN)
def test_mutations_refuse_text_xml_cannot_carry(writable: Writable, name: str) -> None:
    bad = FORBIDDEN[name]
    before = writable.counts()
    for document, variables, field in cases(writable, bad):
        body = writable.send(document, variables)
        assert body.get("data") is None, body
        (error,) = body["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT", error
        assert error["extensions"]["field"] == field, error
        if not field.endswith("website"):
            assert error["message"].startswith(f"{field}: contains {name}"), error
    assert writable.counts() == before, "a refused write changed the database"
    # GraphQL string literals reach the same check as variables, written raw or as an escape.
    title = "{title: {en: TEXT}, date: {year: 2016}, kind: OTHER}"
    for literal in (f'"a{bad}b"', f'"a\\u{ord(bad):04X}b"'):
        document = f"mutation {{ createEvent(input: {title.replace('TEXT', literal)}) {{ id }} }}"
        body = writable.send(document, {})
        assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "input.title.en"}
    assert writable.counts() == before


def test_lone_surrogates_never_reach_a_write(writable: Writable) -> None:
    """Neither JSON (orjson) nor GraphQL's lexer accepts a lone surrogate, so HTTP refuses it before
    any resolver runs; files can carry one (YAML escapes), and the record refuses it there
    (test_files_refuse_text_xml_cannot_carry)."""
    before = writable.counts()
    body = (
        '{"query": "mutation($input: EventInput!) { createEvent(input: $input) { id } }", '
        '"variables": {"input": {"title": {"en": "a\\ud800b"}, "date": {"year": 2016}, "kind": "OTHER"}}}'
    )
    response = httpx.post(
        writable.server.graphql_url,
        content=body.encode(),
        headers={**writable.editor, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    literal = writable.send(
        'mutation { createEvent(input: {title: {en: "a\\uD800b"}, date: {year: 2016}, kind: OTHER}) { id } }',
        {},
    )
    assert literal["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
    assert writable.counts() == before


def test_tab_line_breaks_and_cjk_pass_unchanged(writable: Writable) -> None:
    created = writable.send(
        CREATE_EVENT,
        {
            "input": event_input(
                title={"en": "Forum\twith a tab", "zhTw": "關務合作論壇"},
                summary={"en": ORDINARY},
                places=[{"en": "Geneva\r\nBern", "zhTw": "日內瓦"}],
                isMilestone=True,
                status="PUBLISHED",
            )
        },
    )
    assert "errors" not in created, created
    event = created["data"]["createEvent"]
    assert event["title"] == "Forum\twith a tab" and event["zh"] == "關務合作論壇"
    assert event["summary"] == ORDINARY
    assert event["places"] == ["Geneva\r\nBern"]
    # The feeds carry them too (feedgen writes CR as a character reference, which keeps it).
    rss = httpx.get(f"{writable.server.url}/feeds/milestones.rss?locale=zh-TW")
    feed = feedparser.parse(rss.content)
    assert rss.status_code == 200 and not feed.bozo, feed.get("bozo_exception")
    # Each entry's title starts with the event's own date (docs/feeds.md).
    assert any(entry.title.endswith("：關務合作論壇") for entry in feed.entries)
    atom = ElementTree.fromstring(httpx.get(f"{writable.server.url}/feeds/milestones.atom").content)
    contents = [element.text or "" for element in atom.iter("{http://www.w3.org/2005/Atom}content")]
    assert any(ORDINARY in content for content in contents), contents


def test_files_refuse_text_xml_cannot_carry(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    seed(url)
    env = writable_env(url)
    before = counts_of(url)
    vertical_tab = tmp_path / "pasted.yaml"
    # YAML's escapes can carry what a raw YAML file cannot (the reader refuses a raw U+000B).
    vertical_tab.write_text(
        'events:\n  - slug: pasted-title\n    title: {en: "Customs\\vforum"}\n    date: {year: 2016}\n'
    )
    loaded = run_accord("fixtures", "load", str(vertical_tab), env=env)
    assert loaded.returncode == 1
    assert f"{vertical_tab}: events[0] (slug pasted-title): title.en: contains U+000B" in loaded.stderr
    surrogate = tmp_path / "surrogate.yaml"
    surrogate.write_text('partners:\n  - slug: half-a-pair\n    name: {en: "ok", zh_tw: "\\ud800"}\n')
    loaded = run_accord("fixtures", "load", str(surrogate), env=env)
    assert loaded.returncode == 1
    # pydantic's own string check refuses a lone surrogate before accord's does; same record, field.
    assert "partners[0] (slug half-a-pair): name.zh_tw: " in loaded.stderr
    # An export (JSON) with a noncharacter in a place name and a NUL in a website.
    exported = tmp_path / "export.json"
    assert run_accord("export", str(exported), env=env).returncode == 0
    document = orjson.loads(exported.read_bytes())
    document["events"][0]["places"] = [{"en": "Geneva", "zh_tw": "日內瓦\ufffe"}]
    slug = document["events"][0]["slug"]
    exported.write_bytes(orjson.dumps(document))
    imported = run_accord("import", str(exported), env=env)
    assert imported.returncode == 1
    assert f"events[0] (slug {slug}): places.0.zh_tw: contains U+FFFE" in imported.stderr
    document["events"][0]["places"] = []
    document["partners"][0]["website"] = "https://example.org/\x00"
    exported.write_bytes(orjson.dumps(document))
    imported = run_accord("import", str(exported), env=env)
    assert (
        imported.returncode == 1
        and "partners[0]" in imported.stderr
        and "website: contains U+0000" in imported.stderr
    )
    assert counts_of(url) == before


def writable_env(url: str) -> dict[str, str]:
    from tests.harness.server import accord_env

    return accord_env(url)


def counts_of(url: str) -> dict[str, int]:
    engine = create_sync_engine(url)
    try:
        with engine.connect() as conn:
            return {name: conn.execute(text(f"SELECT count(*) FROM {name}")).scalar_one() for name in TABLES}
    finally:
        engine.dispose()


# --- rows stored before the rule ------------------------------------------------------------------

STORED_BAD = "\x0b\x01\x1f\ufffe\uffff"


@pytest.fixture(params=["sqlite", "postgresql"])
def legacy(request: pytest.FixtureRequest, tmp_path: Path, logs: Path) -> Iterator[tuple[LiveServer, str]]:
    """A seeded database whose milestones, partners and places hold control characters, written
    straight into the tables as an older version could have stored them."""
    if request.param == "sqlite":
        url = sqlite_url(tmp_path)
    else:
        pg = request.getfixturevalue("postgres")
        url = pg.url(pg.create_database())
    seed(url)
    engine = create_sync_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE event SET title_en = title_en || :bad, title_zh = :bad || title_zh, "
                "summary_en = :bad || summary_en WHERE is_milestone"
            ),
            {"bad": STORED_BAD},
        )
        conn.execute(
            text("UPDATE partner SET name_en = name_en || :bad, name_zh = :bad || name_zh"),
            {"bad": STORED_BAD},
        )
    engine.dispose()
    with live_server(url, logs) as server:
        yield server, url


def parsed_feed(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    feed = feedparser.parse(response.content)
    assert feed.bozo == 0, feed.get("bozo_exception")
    return feed


def test_stored_control_characters_never_break_a_feed(legacy: tuple[LiveServer, str]) -> None:
    server, _ = legacy
    milestones = post(
        server, "{ events(filter: {milestonesOnly: true}) { edges { node { title } } } }"
    ).json()
    titles = [edge["node"]["title"] for edge in milestones["data"]["events"]["edges"]]
    assert titles and all(title.endswith(STORED_BAD) for title in titles)  # GraphQL (JSON) keeps them
    expected = {xml_safe(title) for title in titles}
    for path in ("/feeds/milestones.rss", "/feeds/milestones.atom"):
        for locale in ("en", "zh-TW"):
            feed = parsed_feed(httpx.get(f"{server.url}{path}?locale={locale}"))
            assert feed.entries
            for entry in feed.entries:
                assert first_forbidden(entry.title) is None
            if locale == "en":
                # Each entry's title starts with the event's own date (docs/feeds.md).
                assert {entry.title.partition(": ")[2] for entry in feed.entries} == expected
    partners = post(server, "{ partners(first: 100) { edges { node { slug name } } } }").json()
    slugs = [edge["node"]["slug"] for edge in partners["data"]["partners"]["edges"]]
    name = partners["data"]["partners"]["edges"][0]["node"]["name"]
    for slug in slugs[:3]:
        for extension in ("rss", "atom"):
            feed = parsed_feed(httpx.get(f"{server.url}/feeds/partners/{slug}.{extension}"))
            assert first_forbidden(feed.feed.title) is None
    opml = httpx.get(f"{server.url}/feeds.opml")
    assert opml.status_code == 200
    texts = [outline.get("text") or "" for outline in ElementTree.fromstring(opml.content).iter("outline")]
    assert any(label.endswith(xml_safe(name)) for label in texts), texts
    # JSON Feed is JSON: it keeps the text as stored, escaped.
    json_feed = httpx.get(f"{server.url}/feeds/milestones.json")
    assert json_feed.status_code == 200 and b"\\u000b" in json_feed.content
    items = orjson.loads(json_feed.content)["items"]
    assert {item["title"].partition(": ")[2] for item in items} == set(titles)
    assert "Traceback" not in server.log()


def test_stored_control_characters_are_cleaned_by_the_next_write_and_export(
    legacy: tuple[LiveServer, str], tmp_path: Path
) -> None:
    server, _ = legacy
    editor = bearer(create_token(server.env, "editor-ed"))
    found = post(
        server, "{ events(filter: {milestonesOnly: true}, first: 1) { edges { node { id title } } } }"
    )
    event = found.json()["data"]["events"]["edges"][0]["node"]
    # A patch that does not touch the title still succeeds, and the stored title comes back clean.
    patched = post(
        server,
        'mutation($id: ID!) { updateEvent(id: $id, input: {summary: {en: "Rewritten."}}) { title } }',
        {"id": event["id"]},
        headers=editor,
    ).json()
    assert "errors" not in patched, patched
    assert patched["data"]["updateEvent"]["title"] == xml_safe(event["title"])
    # `accord export` reads every row; what it writes `accord import` accepts.
    exported = tmp_path / "export.yaml"
    result = run_accord("export", str(exported), env=server.env)
    assert result.returncode == 0, result.stderr
    assert first_forbidden(exported.read_text()) is None
    assert yaml.safe_load(exported.read_text())["partners"]
    assert run_accord("import", str(exported), env=server.env).returncode == 0


# --- the character class against XML itself -------------------------------------------------------

ANY_CHARACTER = st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=())


@given(st.text(ANY_CHARACTER, max_size=40))
def test_the_character_class_is_what_an_xml_parser_refuses(value: str) -> None:
    """Text parses as XML element content exactly when first_forbidden finds nothing; and xml_safe
    always gives text that parses."""
    document = f"<a>{escape(value)}</a>".encode("utf-8", "surrogatepass")
    try:
        ElementTree.fromstring(document)
        parses = True
    except ElementTree.ParseError:
        parses = False
    assert parses == (first_forbidden(value) is None)
    ElementTree.fromstring(f"<a>{escape(xml_safe(value))}</a>".encode())
