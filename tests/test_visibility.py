"""Anonymous readers never see drafts, anywhere; missing translations fall back to English."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from accord.content.files import bundled_fixtures_dir, fixture_files
from accord.content.service import load_files
from accord.core.ids import to_global_id
from accord.core.tables import events
from accord.db import create_sync_engine
from tests.harness.clients import query
from tests.harness.databases import migrated_engine
from tests.harness.server import LiveServer, live_server

EXTRA = {
    "partners": [
        {"slug": "draft-partner", "name": {"en": "Draft Partner"}, "kind": "OTHER", "status": "DRAFT"},
        {
            "slug": "english-only",
            "name": {"en": "English Only Administration"},
            "kind": "CUSTOMS_ADMINISTRATION",
        },
    ],
    "events": [
        {
            "slug": "draft-milestone",
            "title": {"en": "Unannounced draft milestone", "zh_tw": "未公開的草稿"},
            "summary": {"en": "Draft text about zebrafish."},
            "date": {"year": 2016, "month": 3},
            "kind": "OTHER",
            "milestone": True,
            "partners": ["taiwan-customs", "english-only"],
            "tags": ["apec"],
            "status": "DRAFT",
        },
        {
            "slug": "untranslated-event",
            "title": {"en": "An event told in English only"},
            "date": {"year": 2016},
            "kind": "WORKSHOP",
            "partners": ["draft-partner", "english-only"],
        },
    ],
}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server_with_drafts(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, logs: Path
) -> Iterator[LiveServer]:
    directory = tmp_path_factory.mktemp("drafts")
    if request.param == "sqlite":
        url = f"sqlite:///{directory}/accord.db"
    else:
        pg = request.getfixturevalue("postgres")
        url = pg.url(pg.create_database())
    extra = directory / "extra.yaml"
    extra.write_text(yaml.safe_dump(EXTRA, allow_unicode=True))
    engine = migrated_engine(url)
    load_files(engine, [*fixture_files(bundled_fixtures_dir()), extra])
    engine.dispose()
    with live_server(url, logs) as server:
        yield server


def test_drafts_are_invisible_to_anonymous_readers(server_with_drafts: LiveServer) -> None:
    data = query(
        server_with_drafts,
        """{
          all: events(first: 100) { totalCount edges { node { slug partners { slug } } } }
          draft: event(slug: "draft-milestone") { id }
          draftPartner: partner(slug: "draft-partner") { id }
          partners(first: 100) { edges { node { slug } } }
          byTag: events(filter: {tag: "apec"}) { totalCount }
          customs: partner(slug: "taiwan-customs") { events(first: 100) { edges { node { slug } } } }
          timeline(yearFrom: 2016) { events { slug } }
          search(query: "zebrafish") { __typename }
          searchPartner: search(query: "Draft Partner") { __typename }
        }""",
    )
    slugs = [edge["node"]["slug"] for edge in data["all"]["edges"]]
    assert "draft-milestone" not in slugs and "untranslated-event" in slugs
    assert data["all"]["totalCount"] == 13
    assert data["draft"] is None and data["draftPartner"] is None
    assert "draft-partner" not in [edge["node"]["slug"] for edge in data["partners"]["edges"]]
    untranslated = next(e["node"] for e in data["all"]["edges"] if e["node"]["slug"] == "untranslated-event")
    assert [p["slug"] for p in untranslated["partners"]] == ["english-only"]
    assert data["byTag"]["totalCount"] == 2
    assert "draft-milestone" not in [e["node"]["slug"] for e in data["customs"]["events"]["edges"]]
    assert data["timeline"] == [{"events": [{"slug": "untranslated-event"}]}]
    assert data["search"] == [] and data["searchPartner"] == []


def test_node_hides_drafts(server_with_drafts: LiveServer) -> None:
    engine = create_sync_engine(server_with_drafts.env["ACCORD_DATABASE_URL"])
    with engine.connect() as conn:
        ids = {slug: id_ for slug, id_ in conn.execute(select(events.c.slug, events.c.id))}
    engine.dispose()
    draft, published = (
        to_global_id("Event", ids["draft-milestone"]),
        to_global_id("Event", ids["untranslated-event"]),
    )
    document = "query($id: ID!) { node(id: $id) { id } }"
    assert query(server_with_drafts, document, {"id": draft}) == {"node": None}
    assert query(server_with_drafts, document, {"id": published}) == {"node": {"id": published}}


def test_missing_translation_falls_back_to_english(server_with_drafts: LiveServer) -> None:
    data = query(
        server_with_drafts,
        """{ event(slug: "untranslated-event") { title summary(locale: ZH_TW) partners { name } } }""",
        headers={"Accept-Language": "zh-TW"},
    )
    assert data["event"]["title"] == "An event told in English only"
    assert data["event"]["partners"] == [{"name": "English Only Administration"}]
