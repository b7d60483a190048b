"""Images beside the features around them, over live HTTP: a draft's pictures stay hidden until it is
published, by hand or by the scheduler; a preview token may not upload; an export with pictures and
a schedule imports and exports again byte for byte; `accord media add` stores both alt texts and the
credit; GraphiQL opens with the images example."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from accord.core.tables import changes, images
from accord.db import create_sync_engine
from accord.push.outbox import deliveries
from accord.web.graphiql import example_tabs
from tests.harness import images as files
from tests.harness.databases import seed, sqlite_url
from tests.harness.desk import Desk, soon, taipei
from tests.harness.server import accord_env, live_server, run_accord
from tests.harness.uploads import multipart_upload, uploaded
from tests.harness.waiting import wait_until

IMAGES_OF_EVENT = "query($s: String) { event(slug: $s) { status images { id alt credit } } }"


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory, logs: Path) -> Iterator[Desk]:
    directory = tmp_path_factory.mktemp("media-interplay")
    url = sqlite_url(directory)
    seed(url)
    with live_server(url, logs, extra_env={"ACCORD_MEDIA_CACHE_DIR": str(directory / "cache")}) as server:
        yield Desk.open(server, "interplay")


def stored(desk: Desk) -> tuple[int, int]:
    """(images stored, newest change-log id)."""
    engine = create_sync_engine(desk.server.env["ACCORD_DATABASE_URL"])
    try:
        with engine.connect() as conn:
            count = conn.execute(select(func.count()).select_from(images)).scalar_one()
            return count, conn.execute(select(func.coalesce(func.max(changes.c.id), 0))).scalar_one()
    finally:
        engine.dispose()


def upload_to(desk: Desk, event_id: str, width: int) -> dict[str, Any]:
    data = files.encode(files.marked((width, 300)), "PNG")
    return uploaded(
        multipart_upload(desk.server.graphql_url, data, headers=desk.tokens["editor"], event_id=event_id)
    )


def served(url: str) -> int:
    """What an anonymous reader (a browser's <img>, which sends no token) gets for an image URL."""
    return httpx.get(url, headers={"Accept": "image/webp"}, timeout=60).status_code


def test_a_scheduled_drafts_pictures_are_served_from_its_publishing_on(desk: Desk) -> None:
    event_id = desk.create_event("pictured-and-scheduled")
    image = upload_to(desk, event_id, 700)
    negotiated = image["url"].rsplit(".", 1)[0]  # the URL without a format
    at = soon(6)
    assert desk.schedule(event_id, taipei(at))["status"] == "DRAFT"
    # Before its time: the pictures of a scheduled draft are hidden like the draft itself, from
    # anonymous readers and from a browser that holds an editor's page (an <img> sends no token).
    assert served(image["url"]) == 404 and served(negotiated) == 404
    assert desk.data(IMAGES_OF_EVENT, {"s": "pictured-and-scheduled"})["event"] is None
    editor_view = desk.data(IMAGES_OF_EVENT, {"s": "pictured-and-scheduled"}, "editor")["event"]
    assert editor_view["status"] == "DRAFT" and [i["id"] for i in editor_view["images"]] == [image["id"]]
    assert datetime.now(UTC) < at, "the checks before the scheduled time took too long"
    # The scheduler publishes it: from then on the pictures are served, with nothing else done.
    wait_until(lambda: served(image["url"]) == 200, "the picture served after the publish", timeout=60)
    assert datetime.now(UTC) >= at
    assert served(negotiated) == 200
    public = desk.data(IMAGES_OF_EVENT, {"s": "pictured-and-scheduled"})["event"]
    assert public["status"] == "PUBLISHED" and [i["id"] for i in public["images"]] == [image["id"]]


def test_a_picture_of_a_published_event_is_hidden_once_the_event_is_archived(desk: Desk) -> None:
    event_id = desk.create_event("pictured-then-withdrawn", status="PUBLISHED")
    image = upload_to(desk, event_id, 710)
    assert served(image["url"]) == 200  # remembered as visible by the server
    desk.data("mutation($id: ID!) { archiveEvent(id: $id) { status } }", {"id": event_id}, "editor")
    assert served(image["url"]) == 404  # the write moved the content version: nothing remembered


def test_a_preview_token_may_not_upload(desk: Desk) -> None:
    event_id = desk.create_event("preview-may-not-upload")
    before = stored(desk)
    response = multipart_upload(
        desk.server.graphql_url,
        files.accepted_files()["png"],
        headers=desk.tokens["preview"],
        event_id=event_id,
    )
    assert response.status_code == 403, response.text
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "FORBIDDEN" and "editor's token" in error["message"]
    assert stored(desk) == before
    # The same request with an editor's token stores the picture: the refusal was the role's.
    uploaded(
        multipart_upload(
            desk.server.graphql_url,
            files.accepted_files()["png"],
            headers=desk.tokens["editor"],
            event_id=event_id,
        )
    )
    assert stored(desk)[0] == before[0] + 1


def test_export_import_export_with_pictures_and_a_schedule_is_byte_identical(
    desk: Desk, tmp_path: Path
) -> None:
    event_id = desk.create_event("exported-pictures-and-schedule")
    image = upload_to(desk, event_id, 720)
    at = soon(7 * 86_400)
    desk.schedule(event_id, taipei(at))
    digest = image["url"].split("/media/", 1)[1].split("/", 1)[0]
    for name in ("all.yaml", "all.json"):
        first = tmp_path / name
        result = run_accord("export", str(first), env=desk.server.env)
        assert result.returncode == 0, result.stderr
        exported = first.read_bytes()
        if name.endswith(".json"):
            document = json.loads(exported)
            [record] = [e for e in document["events"] if e["slug"] == "exported-pictures-and-schedule"]
            assert record["images"] == [digest]
            assert record["scheduled_at"] == at.isoformat().replace("+00:00", "Z")
            assert digest in [each["content_hash"] for each in document["images"]]
        fresh = accord_env(sqlite_url(tmp_path, f"fresh-{name}.db"))
        assert run_accord("db", "upgrade", env=fresh).returncode == 0
        imported = run_accord("import", str(first), env=fresh)
        assert imported.returncode == 0, imported.stderr
        again = tmp_path / f"again-{name}"
        result = run_accord("export", str(again), env=fresh)
        assert result.returncode == 0, result.stderr
        assert again.read_bytes() == exported, name
        listed = run_accord("schedule", "list", env=fresh)
        assert "exported-pictures-and-schedule" in listed.stdout, listed.stdout


def test_the_cli_stores_both_alt_texts_and_the_credit(desk: Desk, tmp_path: Path) -> None:
    desk.create_event("pictured-from-the-cli", status="PUBLISHED")
    path = tmp_path / "from-cli.png"
    path.write_bytes(files.encode(files.marked((730, 300)), "PNG"))
    result = run_accord(
        "media",
        "add",
        str(path),
        "--event",
        "pictured-from-the-cli",
        "--alt-en",
        "Delegates signing",
        "--alt-zh",
        "代表簽署",
        "--credit",
        "Customs Museum",
        env=desk.server.env,
    )
    assert result.returncode == 0, result.stderr
    image_id = result.stdout.strip().splitlines()[-1]
    document = """query($s: String) { event(slug: $s) { images { id en: alt(locale: EN)
      zh: alt(locale: ZH_TW) credit } } }"""
    found = wait_until(
        lambda: desk.data(document, {"s": "pictured-from-the-cli"})["event"]["images"],
        "the CLI's picture on the event",
    )
    wanted = {"id": image_id, "en": "Delegates signing", "zh": "代表簽署", "credit": "Customs Museum"}
    assert found == [wanted]


def test_a_picture_added_from_the_cli_owes_the_webhooks_what_an_upload_owes(
    desk: Desk, tmp_path: Path
) -> None:
    """`accord media add` writes through the server's writer: the event it pictures is updated, and
    an endpoint registered for content.updated is owed that change, as for an upload over GraphQL."""
    desk.create_event("hooked-from-the-cli", status="PUBLISHED")
    env = desk.server.env | {"ACCORD_WEBHOOK_ALLOW_PRIVATE": "true"}
    hook = run_accord("webhook", "add", "http://127.0.0.1:9/cli-hook", "--events", "content.updated", env=env)
    assert hook.returncode == 0, hook.stderr
    path = tmp_path / "hooked.png"
    path.write_bytes(files.encode(files.marked((610, 300)), "PNG"))
    _, before = stored(desk)
    added = run_accord(
        "media", "add", str(path), "--event", "hooked-from-the-cli", "--alt-en", "A hook", env=env
    )
    assert added.returncode == 0, added.stderr
    engine = create_sync_engine(env["ACCORD_DATABASE_URL"])
    try:
        with engine.connect() as conn:
            owed = conn.execute(
                select(deliveries.c.event_type).where(deliveries.c.change_id > before)
            ).scalars()
            assert list(owed) == ["content.updated"]
    finally:
        engine.dispose()


def test_graphiql_opens_with_the_images_example(desk: Desk) -> None:
    tabs = example_tabs()
    [pictures] = [tab for tab in tabs if "query ExhibitImages" in tab["query"]]
    for field in ("images {", "alt(locale: $locale)", "url(width: 640, format: WEBP)", "srcset"):
        assert field in pictures["query"], field
    page = httpx.get(desk.server.graphql_url, headers={"Accept": "text/html"}, timeout=30)
    assert page.status_code == 200 and "query ExhibitImages" in page.text


def test_the_cli_wants_exactly_one_place_and_clean_options(tmp_path: Path) -> None:
    env = accord_env(sqlite_url(tmp_path))
    assert run_accord("db", "upgrade", env=env).returncode == 0
    path = tmp_path / "x.png"
    path.write_bytes(files.accepted_files()["png"])
    cases = [
        ((), 2, "give exactly one of --exhibit SLUG or --event SLUG"),
        (("--exhibit", "a", "--event", "b"), 2, "give exactly one of --exhibit SLUG or --event SLUG"),
        (("--exhibit", "a", "--credit", "a\tb"), 2, "--credit: must be one line without control characters"),
        (("--exhibit", "a", "--alt-zh", "x" * 1001), 2, "--alt-zh"),
    ]
    for options, status, message in cases:
        result = run_accord("media", "add", str(path), *options, "--alt-en", "x", env=env)
        assert (result.returncode, result.stdout) == (status, ""), (options, result.stderr)
        assert message in result.stderr and "Traceback" not in result.stderr, (options, result.stderr)
    missing = run_accord("media", "add", str(tmp_path / "none.png"), "--event", "b", "--alt-en", "x", env=env)
    assert missing.returncode == 1 and "not a file" in missing.stderr


def test_restoring_a_revision_brings_its_pictures_back_in_order(desk: Desk) -> None:
    """A revision records an item's pictures like its other links: restoring it shows them again,
    in its order; a picture deleted since cannot come back, and the restore says so, writing nothing."""
    event_id = desk.create_event("pictures-restored")
    first, second = (upload_to(desk, event_id, width) for width in (740, 750))
    both = [first["id"], second["id"]]
    document = "query($id: ID!) { node(id: $id) { ... on Event { images { id } } } }"

    def shown() -> list[str]:
        return [i["id"] for i in desk.data(document, {"id": event_id}, "editor")["node"]["images"]]

    assert shown() == both
    with_both = desk.revisions(event_id)[0]["id"]  # the second upload's revision: both pictures
    detach = "mutation($i: ID!, $e: ID) { detachImage(imageId: $i, eventId: $e) { id } }"
    desk.data(detach, {"i": first["id"], "e": event_id}, "editor")
    assert shown() == [second["id"]]
    restore = "mutation($r: ID!) { restore(revisionId: $r) { ... on Event { images { id } } } }"
    restored = desk.data(restore, {"r": with_both}, "editor")["restore"]["images"]
    assert [i["id"] for i in restored] == both and shown() == both

    desk.data("mutation($i: ID!) { deleteImage(id: $i) }", {"i": first["id"]}, "admin")
    assert shown() == [second["id"]]
    count = len(desk.revisions(event_id))
    error = desk.error(restore, {"r": with_both}, "editor")
    assert error["extensions"]["code"] == "NOT_FOUND" and error["message"].startswith("revisionId:"), error
    assert shown() == [second["id"]] and len(desk.revisions(event_id)) == count


def test_alt_text_without_chinese_reads_as_english_in_both_languages(desk: Desk) -> None:
    event_id = desk.create_event("pictured-in-english-only", status="PUBLISHED")
    data = files.encode(files.marked((760, 300)), "PNG")
    image = uploaded(
        multipart_upload(
            desk.server.graphql_url,
            data,
            headers=desk.tokens["editor"],
            event_id=event_id,
            alt={"en": "Only in English"},
        )
    )
    document = """query($s: String) { event(slug: $s) { images { id en: alt(locale: EN)
      zh: alt(locale: ZH_TW) plain: alt } } }"""
    for language in ("en", "zh-TW"):
        response = httpx.post(
            desk.server.graphql_url,
            json={"query": document, "variables": {"s": "pictured-in-english-only"}},
            headers={"Accept-Language": language},
            timeout=30,
        )
        [shown] = response.json()["data"]["event"]["images"]
        assert shown == {
            "id": image["id"],
            "en": "Only in English",
            "zh": "Only in English",
            "plain": "Only in English",
        }
