"""Images through GraphQL over live HTTP: multipart uploads as the specification shows them (curl) and
as a client that implements it sends them (gql), the refusals (no token, simple content types,
broken multipart bodies, bad files), the other image mutations with their revisions, and where
uploaded images then appear (lists on the compiled path, caches, feeds, `accord export`)."""

from __future__ import annotations

import io
import json
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import feedparser
import httpx
import orjson
import pytest
from PIL import Image
from sqlalchemy import func, select

from accord.core.tables import changes, images
from accord.db import create_sync_engine
from accord.media import served_formats
from tests.harness import images as files
from tests.harness.clients import errors_of, post
from tests.harness.databases import seed, sqlite_url
from tests.harness.postgres import PostgresServer
from tests.harness.server import LiveServer, accord_env, live_server, run_accord
from tests.harness.tokens import bearer, create_token
from tests.harness.uploads import UPLOAD, multipart_upload, uploaded

EXHIBIT = "foreign-customs-exchange-uniforms"
UPLOAD_LIMIT = 1_000_000  # ACCORD_MEDIA_MAX_UPLOAD_BYTES of these servers: small files reach it


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, logs: Path) -> Iterator[LiveServer]:
    directory = tmp_path_factory.mktemp("media-graphql")
    url = sqlite_url(directory)
    seed(url)
    extra = {
        "ACCORD_MEDIA_CACHE_DIR": str(directory / "cache"),
        "ACCORD_MEDIA_MAX_UPLOAD_BYTES": str(UPLOAD_LIMIT),
    }
    with live_server(url, logs, extra_env=extra) as running:
        yield running


@pytest.fixture(scope="module")
def editor(server: LiveServer) -> dict[str, str]:
    return bearer(create_token(server.env, "media-editor"))


@pytest.fixture(scope="module")
def admin(server: LiveServer) -> dict[str, str]:
    return bearer(create_token(server.env, "media-admin", "admin"))


def data_of(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert response.status_code == 200 and "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


def exhibit_id(server: LiveServer, slug: str = EXHIBIT) -> str:
    found: str = data_of(post(server, "query($s: String) { exhibit(slug: $s) { id } }", {"s": slug}))[
        "exhibit"
    ]["id"]
    return found


def newest_milestone(server: LiveServer) -> dict[str, str]:
    document = """{ events(first: 1, orderBy: DATE_DESC, filter: {milestonesOnly: true})
      { edges { node { id slug } } } }"""
    node: dict[str, str] = data_of(post(server, document))["events"]["edges"][0]["node"]
    return node


def stored(server: LiveServer) -> tuple[int, int]:
    """(images stored, newest change-log id): what a refused upload must leave as it was."""
    engine = create_sync_engine(server.env["ACCORD_DATABASE_URL"])
    try:
        with engine.connect() as conn:
            count = conn.execute(select(func.count()).select_from(images)).scalar_one()
            return count, conn.execute(select(func.coalesce(func.max(changes.c.id), 0))).scalar_one()
    finally:
        engine.dispose()


def exhibit_images(server: LiveServer, slug: str = EXHIBIT, headers: dict[str, str] | None = None) -> Any:
    document = """query($s: String) { exhibit(slug: $s) { images { id alt zh: alt(locale: ZH_TW) credit
      width height url(width: 640, format: JPEG) } } }"""
    found = data_of(post(server, document, {"s": slug}, headers=headers))["exhibit"]
    return None if found is None else found["images"]


# -- uploads as the specification shows them --------------------------------------------------------


def test_a_curl_upload_exactly_as_the_specification_shows(
    server: LiveServer, editor: dict[str, str], tmp_path: Path
) -> None:
    """The specification's "Single file" cURL request, with accord's mutation and a token."""
    photo = tmp_path / "a.jpg"
    photo.write_bytes(files.rotated_jpeg_with_gps((1200, 800)))
    query = (
        "mutation ($file: Upload!, $alt: LocalizedTextInput!, $exhibit: ID) "
        "{ uploadImage(file: $file, alt: $alt, exhibitId: $exhibit) { id width height url } }"
    )
    alt = {"en": "A customs uniform", "zhTw": "海關制服"}
    variables = {"file": None, "alt": alt, "exhibit": exhibit_id(server)}
    operations = json.dumps({"query": query, "variables": variables}, ensure_ascii=False)
    command = [
        "curl",
        "--silent",
        "--show-error",
        server.graphql_url,
        "-H",
        f"Authorization: {editor['Authorization']}",
        "-F",
        f"operations={operations}",
        "-F",
        'map={ "0": ["variables.file"] }',
        "-F",
        f"0=@{photo}",
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=True)
    body = json.loads(result.stdout)
    assert "errors" not in body, body
    image = body["data"]["uploadImage"]
    assert (image["width"], image["height"]) == (1200, 800)  # upright: stored sideways with Orientation 6
    assert image["url"].startswith(f"{server.url}/media/") and image["url"].endswith("/1200")
    shown = exhibit_images(server)
    assert image["id"] in [each["id"] for each in shown]
    mine = next(each for each in shown if each["id"] == image["id"])
    assert (mine["alt"], mine["zh"]) == ("A customs uniform", "海關制服")
    variant = httpx.get(mine["url"], timeout=60)
    assert variant.status_code == 200 and variant.headers["content-type"] == "image/jpeg"
    picture = Image.open(io.BytesIO(variant.content))
    assert picture.size == (640, 427) and len(picture.getexif()) == 0


def test_gql_with_upload_files(server: LiveServer, editor: dict[str, str], tmp_path: Path) -> None:
    """gql's HTTPX transport builds the multipart request itself (``upload_files=True``)."""
    photo = str(tmp_path / "photo.png")
    Path(photo).write_bytes(files.accepted_files()["png-alpha"])
    event_id = newest_milestone(server)["id"]
    graphql_url, token = server.graphql_url, editor["Authorization"].removeprefix("Bearer ")
    # docs:begin gql-upload
    from gql import Client, FileVar, gql
    from gql.transport.httpx import HTTPXTransport

    transport = HTTPXTransport(url=graphql_url, headers={"Authorization": f"Bearer {token}"})
    upload = gql("""
        mutation Upload($file: Upload!, $alt: LocalizedTextInput!, $eventId: ID, $credit: String) {
          uploadImage(file: $file, alt: $alt, eventId: $eventId, credit: $credit) {
            id width height credit url(width: 640, format: WEBP) srcset
          }
        }
    """)
    upload.variable_values = {
        "file": FileVar(photo, content_type="image/png"),  # the path of the file
        "alt": {"en": "A transparent test picture"},
        "eventId": event_id,
        "credit": "Test archive",
    }
    with Client(transport=transport) as session:
        result = session.execute(upload, upload_files=True)  # a GraphQL multipart request
    # docs:end gql-upload
    image = result["uploadImage"]
    assert (image["width"], image["height"], image["credit"]) == (300, 200, "Test archive")
    assert image["url"].endswith("/300.webp")  # narrower than 640: its own width is the widest variant
    assert image["srcset"].endswith("/300 300w") and "/320" not in image["srcset"]
    document = "query($i: ID!) { node(id: $i) { ... on Event { images { id credit } } } }"
    shown = data_of(post(server, document, {"i": event_id}))["node"]["images"]
    assert {"id": image["id"], "credit": "Test archive"} in shown


def test_each_accepted_format_over_graphql(server: LiveServer, editor: dict[str, str]) -> None:
    for name, data in files.accepted_files().items():
        image = uploaded(multipart_upload(server.graphql_url, data, headers=editor, filename=name))
        with Image.open(io.BytesIO(data)) as original:
            assert (image["width"], image["height"]) == original.size, name
        assert len(image["placeholder"]) > 6 and image["dominantColor"].startswith("#"), name


REFUSED: dict[str, tuple[Callable[[], bytes], str]] = {
    "bomb.png": (files.png_bomb, "over the limit of"),
    "bomb.webp": (files.webp_bomb, "over the limit of"),
    "truncated.jpg": (lambda: files.truncated(files.accepted_files()["jpeg"]), "truncated or damaged"),
    "notes.jpg": (files.text_file, "not an image accord can read"),
    "drawing.svg": (files.svg, "SVG images are refused because they can carry scripts"),
    "big.png": (
        lambda: files.encode(files.marked((600, 560)), "PNG", compress_level=0),
        "over the upload limit of 1,000,000 bytes",
    ),
}


@pytest.mark.parametrize("name", list(REFUSED))
def test_a_bad_file_gets_the_reason_and_stores_nothing(
    server: LiveServer, editor: dict[str, str], name: str
) -> None:
    make, reason = REFUSED[name]
    data = make()
    if name == "big.png":
        assert UPLOAD_LIMIT < len(data) < UPLOAD_LIMIT + 100_000  # within the body limit: GraphQL answers
    before = stored(server)
    response = multipart_upload(
        server.graphql_url, data, headers=editor, filename=name, exhibit_id=exhibit_id(server)
    )
    assert response.status_code == 200
    [error] = errors_of(response)
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    assert error["message"].startswith("file: ") and reason in error["message"], error
    assert error["path"] == ["uploadImage"]
    assert stored(server) == before


def test_a_body_far_over_the_limit_is_refused_before_graphql(
    server: LiveServer, editor: dict[str, str]
) -> None:
    before = stored(server)
    response = multipart_upload(server.graphql_url, b"\xff\xd8\xff" + b"\x00" * 1_500_000, headers=editor)
    assert response.status_code == 413, response.text
    assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
    assert stored(server) == before


# -- refusals before anything runs ------------------------------------------------------------------


def test_cross_site_style_posts_are_refused(server: LiveServer) -> None:
    """What a page on another site can send without asking first: a multipart/form-data, text/plain
    or form-urlencoded POST, with no Authorization header. None of them stores anything."""
    before = stored(server)
    data = files.accepted_files()["jpeg"]
    no_token = multipart_upload(server.graphql_url, data, headers={})
    assert no_token.status_code == 401 and no_token.headers["www-authenticate"] == "Bearer"
    assert no_token.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert "need an editor's token" in no_token.json()["errors"][0]["message"]
    forged = multipart_upload(server.graphql_url, data, headers={"Authorization": "Bearer acc_forged"})
    assert forged.status_code == 401
    body = json.dumps({"query": UPLOAD, "variables": {"file": None, "alt": {"en": "x"}}})
    for simple in ("text/plain", "application/x-www-form-urlencoded"):
        response = httpx.post(server.graphql_url, content=body, headers={"Content-Type": simple}, timeout=30)
        assert response.status_code == 415, (simple, response.text)
    assert stored(server) == before


def test_a_file_sent_any_other_way_is_refused(server: LiveServer, editor: dict[str, str]) -> None:
    before = stored(server)
    response = post(server, UPLOAD, {"file": "aGVsbG8=", "alt": {"en": "x"}}, headers=editor)
    [error] = errors_of(response)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "multipart/form-data" in error["message"]
    assert stored(server) == before


def _multipart(
    server: LiveServer, headers: dict[str, str], form: dict[str, str], parts: dict[str, Any]
) -> Any:
    return httpx.post(server.graphql_url, data=form, files=parts or None, headers=headers, timeout=30)


BROKEN: dict[str, tuple[dict[str, str], dict[str, Any], str]] = {
    "no operations": ({"map": "{}"}, {"0": ("a.jpg", b"x")}, "no 'operations' field"),
    "operations not JSON": ({"operations": "{", "map": "{}"}, {"0": ("a.jpg", b"x")}, "not valid JSON"),
    "a file not in the map": (
        {"operations": json.dumps({"query": UPLOAD, "variables": {"file": None}}), "map": "{}"},
        {"0": ("a.jpg", b"x")},
        "is not in 'map'",
    ),
    "a mapped file missing": (
        {
            "operations": json.dumps({"query": UPLOAD, "variables": {"file": None}}),
            "map": json.dumps({"0": ["variables.file"], "1": ["variables.file"]}),
        },
        {"0": ("a.jpg", b"x")},
        "does not carry",
    ),
    "a path outside variables": (
        {
            "operations": json.dumps({"query": UPLOAD, "variables": {"file": None}}),
            "map": json.dumps({"0": ["query"]}),
        },
        {"0": ("a.jpg", b"x")},
        "files go into variables",
    ),
    "a path leading nowhere": (
        {
            "operations": json.dumps({"query": UPLOAD, "variables": {"file": None}}),
            "map": json.dumps({"0": ["variables.other.deeper"]}),
        },
        {"0": ("a.jpg", b"x")},
        "leads nowhere",
    ),
    "a path onto a value": (
        {
            "operations": json.dumps({"query": UPLOAD, "variables": {"file": "x"}}),
            "map": json.dumps({"0": ["variables.file"]}),
        },
        {"0": ("a.jpg", b"x")},
        "must lead to a null",
    ),
    "a batch (batching is off)": (
        {
            "operations": json.dumps([{"query": UPLOAD, "variables": {"file": None}}]),
            "map": json.dumps({"0": ["0.variables.file"]}),
        },
        {"0": ("a.jpg", b"x")},
        "batched requests are not enabled",
    ),
    "eleven files (at most ten)": (
        {
            "operations": json.dumps({"query": UPLOAD, "variables": {"file": None}}),
            "map": json.dumps({str(n): ["variables.file"] for n in range(11)}),
        },
        {str(n): (f"{n}.jpg", b"x") for n in range(11)},
        "Too many files",
    ),
    "a form field besides operations and map": (
        {
            "operations": json.dumps({"query": UPLOAD, "variables": {"file": None}}),
            "map": json.dumps({"0": ["variables.file"]}),
            "extra": "x",
        },
        {"0": ("a.jpg", b"x")},
        "Too many fields",
    ),
    "a path index out of range": (
        {
            "operations": json.dumps({"query": UPLOAD, "variables": {"file": None}}),
            "map": json.dumps({"0": ["variables.file.9999999999999999999"]}),
        },
        {"0": ("a.jpg", b"x")},
        "leads nowhere",
    ),
    "a query with a file": (
        {
            "operations": json.dumps(
                {"query": "query($f: String!) { search(query: $f) { __typename } }", "variables": {"f": None}}
            ),
            "map": json.dumps({"0": ["variables.f"]}),
        },
        {"0": ("a.jpg", b"x")},
        "files are sent with mutations",
    ),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_a_multipart_body_that_breaks_the_specification_gets_400(
    server: LiveServer, editor: dict[str, str], case: str
) -> None:
    form, parts, message = BROKEN[case]
    before = stored(server)
    response = _multipart(server, editor, form, parts)
    assert response.status_code == 400, response.text
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "BAD_REQUEST" and message in error["message"], error
    assert stored(server) == before


# -- the other mutations, revisions, and what readers see -------------------------------------------


def revisions(server: LiveServer, headers: dict[str, str], id_: str) -> list[dict[str, Any]]:
    document = "query($id: ID!) { revisions(id: $id) { action tokenName before after } }"
    found: list[dict[str, Any]] = data_of(post(server, document, {"id": id_}, headers=headers))["revisions"]
    return found


def test_attach_detach_update_and_delete(
    server: LiveServer, editor: dict[str, str], admin: dict[str, str]
) -> None:
    documents = {
        "attach": """mutation($i: ID!, $e: ID, $p: Int) {
          attachImage(imageId: $i, exhibitId: $e, position: $p) { id } }""",
        "detach": "mutation($i: ID!, $e: ID) { detachImage(imageId: $i, exhibitId: $e) { id } }",
        "update": """mutation($i: ID!, $alt: LocalizedTextInput, $credit: String) {
          updateImage(id: $i, alt: $alt, credit: $credit) { id alt zh: alt(locale: ZH_TW) credit } }""",
        "delete": "mutation($i: ID!) { deleteImage(id: $i) }",
    }
    target = exhibit_id(server, "foreign-customs-exchange-documents")
    loose = uploaded(multipart_upload(server.graphql_url, files.animated_gif(), headers=editor))
    assert exhibit_images(server, "foreign-customs-exchange-documents") == []
    # Anonymous readers' answers are cached: every write below must show in the next one.
    data_of(post(server, documents["attach"], {"i": loose["id"], "e": target}, headers=editor))
    assert [image["id"] for image in exhibit_images(server, "foreign-customs-exchange-documents")] == [
        loose["id"]
    ]
    second = uploaded(
        multipart_upload(
            server.graphql_url, files.accepted_files()["webp"], headers=editor, exhibit_id=target
        )
    )
    data_of(post(server, documents["attach"], {"i": second["id"], "e": target, "p": 0}, headers=editor))
    shown = exhibit_images(server, "foreign-customs-exchange-documents")
    assert [image["id"] for image in shown] == [second["id"], loose["id"]]
    updated = data_of(
        post(
            server,
            documents["update"],
            {"i": loose["id"], "alt": {"en": "Now described", "zhTw": "已描述"}, "credit": "Museum"},
            headers=editor,
        )
    )["updateImage"]
    assert (updated["alt"], updated["zh"], updated["credit"]) == ("Now described", "已描述", "Museum")
    kept = data_of(post(server, documents["update"], {"i": loose["id"], "credit": None}, headers=editor))
    assert kept["updateImage"] == {**updated, "credit": None}  # the alt text stays
    shown = exhibit_images(server, "foreign-customs-exchange-documents")
    assert (shown[1]["alt"], shown[1]["credit"]) == ("Now described", None)
    data_of(post(server, documents["detach"], {"i": second["id"], "e": target}, headers=editor))
    assert [image["id"] for image in exhibit_images(server, "foreign-customs-exchange-documents")] == [
        loose["id"]
    ]
    # Each change of the exhibit's images is a revision of the exhibit, its images by content hash.
    history = revisions(server, editor, target)
    assert [entry["action"] for entry in history[:4]] == ["update"] * 4
    assert len(history[0]["before"]["images"]) == 2 and len(history[0]["after"]["images"]) == 1
    assert history[3]["before"]["images"] == [] and history[3]["tokenName"] == "media-editor"
    image_history = revisions(server, editor, loose["id"])
    assert [entry["action"] for entry in image_history] == ["update", "update", "create"]
    assert image_history[0]["after"]["credit"] is None and "data" not in image_history[0]["after"]
    # Deleting is for admins; it takes the image off everything that showed it.
    refused = post(server, documents["delete"], {"i": loose["id"]}, headers=editor)
    assert errors_of(refused)[0]["extensions"]["code"] == "FORBIDDEN"
    deleted = data_of(post(server, documents["delete"], {"i": loose["id"]}, headers=admin))
    assert deleted["deleteImage"] == loose["id"]
    assert exhibit_images(server, "foreign-customs-exchange-documents") == []
    assert httpx.get(loose["url"], timeout=30).status_code == 404
    again = post(server, documents["delete"], {"i": loose["id"]}, headers=admin)
    assert errors_of(again)[0]["extensions"]["code"] == "NOT_FOUND"
    assert revisions(server, editor, target)[0]["after"]["images"] == []
    restore = post(
        server,
        "mutation($r: ID!) { restore(revisionId: $r) { id } }",
        {"r": _revision_id(server, editor, loose["id"])},
        headers=editor,
    )
    assert errors_of(restore)[0]["extensions"]["code"] == "BAD_USER_INPUT"


def _revision_id(server: LiveServer, headers: dict[str, str], id_: str) -> str:
    document = "query($id: ID!) { revisions(id: $id) { id } }"
    found: str = data_of(post(server, document, {"id": id_}, headers=headers))["revisions"][0]["id"]
    return found


def test_bad_arguments_are_refused_with_their_field(server: LiveServer, editor: dict[str, str]) -> None:
    image = uploaded(
        multipart_upload(server.graphql_url, files.accepted_files()["jpeg-grey"], headers=editor)
    )
    attach = """mutation($i: ID!, $e: ID, $v: ID, $p: Int) {
      attachImage(imageId: $i, exhibitId: $e, eventId: $v, position: $p) { id } }"""
    cases = [
        ({"i": image["id"]}, "BAD_USER_INPUT", "exactly one of exhibitId and eventId"),
        ({"i": image["id"], "e": exhibit_id(server), "p": -1}, "BAD_USER_INPUT", "position"),
        ({"i": image["id"], "e": image["id"]}, "BAD_USER_INPUT", "expected the id of an Exhibit"),
        ({"i": exhibit_id(server), "e": exhibit_id(server)}, "BAD_USER_INPUT", "expected the id of an Image"),
        ({"i": "SW1hZ2U6OTk5OTk", "e": exhibit_id(server)}, "NOT_FOUND", "imageId: no image"),
        ({"i": image["id"], "e": "RXhoaWJpdDo5OTk5OQ"}, "NOT_FOUND", "exhibitId: no exhibit"),
    ]
    for variables, code, message in cases:
        [error] = errors_of(post(server, attach, variables, headers=editor))
        assert error["extensions"]["code"] == code and message in error["message"], (variables, error)
    alt_cases = [({"en": " "}, "alt.en: must not be blank"), ({"en": "a\nb"}, "alt.en: must be one line")]
    for alt, message in alt_cases:
        response = multipart_upload(
            server.graphql_url, files.accepted_files()["jpeg"], headers=editor, alt=alt
        )
        [error] = errors_of(response)
        assert error["extensions"]["code"] == "BAD_USER_INPUT" and message in error["message"], error
    assert (
        errors_of(post(server, attach, {"i": image["id"], "e": exhibit_id(server)}))[0]["extensions"]["code"]
        == "UNAUTHENTICATED"
    )
    node = data_of(post(server, "query($i: ID!) { node(id: $i) { id } }", {"i": image["id"]}))
    assert node == {"node": None}  # an Image is not a Node


def test_images_reach_the_feeds(server: LiveServer, editor: dict[str, str]) -> None:
    event = newest_milestone(server)
    image = uploaded(
        multipart_upload(
            server.graphql_url,
            files.accepted_files()["jpeg"],
            headers=editor,
            event_id=event["id"],
            alt={"en": "A feed picture"},
        )
    )
    document = "query($s: String) { event(slug: $s) { images { id url(width: 1280, format: JPEG) } } }"
    shown = data_of(post(server, document, {"s": event["slug"]}))["event"]["images"]
    assert image["id"] in [each["id"] for each in shown]
    wanted = shown[0]["url"]  # an entry's picture is its event's first image
    rss = feedparser.parse(httpx.get(f"{server.url}/feeds/milestones.rss", timeout=30).content)
    atom = feedparser.parse(httpx.get(f"{server.url}/feeds/milestones.atom", timeout=30).content)
    for feed in (rss, atom):
        assert feed.bozo == 0
        entry = next(e for e in feed.entries if event["slug"] in e.link)
        [enclosure] = entry.enclosures
        assert enclosure.href == wanted and enclosure.type == "image/jpeg"
        assert httpx.get(enclosure.href, timeout=60).status_code == 200
    raw = httpx.get(f"{server.url}/feeds/milestones.rss", timeout=30).text
    assert f'<enclosure url="{wanted}" length="0" type="image/jpeg"' in raw
    atom_raw = httpx.get(f"{server.url}/feeds/milestones.atom", timeout=30).text
    assert 'rel="enclosure"' in atom_raw
    json_feed = orjson.loads(httpx.get(f"{server.url}/feeds/milestones.json", timeout=30).content)
    item = next(i for i in json_feed["items"] if event["slug"] in i["url"])
    assert item["image"] == wanted


def test_images_of_drafts_are_not_served_to_anonymous_readers(
    server: LiveServer, editor: dict[str, str]
) -> None:
    created = data_of(
        post(
            server,
            "mutation($in: ExhibitInput!) { createExhibit(input: $in) { id slug status } }",
            {"in": {"title": {"en": "A draft with a picture"}, "kind": "OTHER"}},
            headers=editor,
        )
    )["createExhibit"]
    assert created["status"] == "DRAFT"
    image = uploaded(
        multipart_upload(
            server.graphql_url, files.accepted_files()["png"], headers=editor, exhibit_id=created["id"]
        )
    )
    assert httpx.get(image["url"], timeout=30).status_code == 404
    assert exhibit_images(server, created["slug"]) is None  # the draft itself is hidden too
    assert [each["id"] for each in exhibit_images(server, created["slug"], headers=editor)] == [image["id"]]
    data_of(
        post(
            server,
            "mutation($i: ID!) { publishExhibit(id: $i) { id } }",
            {"i": created["id"]},
            headers=editor,
        )
    )
    assert httpx.get(image["url"], timeout=30).status_code == 200


def test_export_and_import_carry_images_byte_for_byte(
    server: LiveServer, editor: dict[str, str], tmp_path: Path
) -> None:
    uploaded(
        multipart_upload(
            server.graphql_url,
            files.accepted_files()["webp-lossless-alpha"],
            headers=editor,
            exhibit_id=exhibit_id(server),
            alt={"en": "Exported", "zhTw": "匯出"},
            credit="Archive",
        )
    )
    for name in ("export.yaml", "export.json"):
        first = tmp_path / name
        result = run_accord("export", str(first), env=server.env)
        assert result.returncode == 0, result.stderr
        exported = first.read_bytes()
        assert b"images:" in exported or b'"images"' in exported
        directory = tmp_path / name.replace(".", "-")
        directory.mkdir()
        copy = accord_env(sqlite_url(directory))
        assert run_accord("db", "upgrade", env=copy).returncode == 0
        imported = run_accord("import", str(first), env=copy)
        assert imported.returncode == 0, imported.stderr
        again = tmp_path / f"again-{name}"
        assert run_accord("export", str(again), env=copy).returncode == 0
        assert again.read_bytes() == exported, name
        assert run_accord("import", str(first), env=copy).returncode == 0  # importing again changes nothing
        assert run_accord("export", str(again), env=copy).returncode == 0
        assert again.read_bytes() == exported, name


# -- limits ---------------------------------------------------------------------------------------


def test_uploads_count_against_the_write_rate_limit(
    tmp_path_factory: pytest.TempPathFactory, logs: Path
) -> None:
    url = sqlite_url(tmp_path_factory.mktemp("media-rate"))
    seed(url)
    extra = {
        "ACCORD_RATE_LIMIT": "true",
        "ACCORD_RATE_WRITES_BURST": "2",
        "ACCORD_RATE_WRITES_PER_SECOND": "0.01",
    }
    with live_server(url, logs, extra_env=extra) as running:
        headers = bearer(create_token(running.env, "media-rate"))
        data = files.accepted_files()["jpeg"]
        answers = [multipart_upload(running.graphql_url, data, headers=headers) for _ in range(3)]
        assert [answer.status_code for answer in answers] == [200, 200, 429]
        assert answers[2].json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
        assert "retry-after" in answers[2].headers


# -- two instances on one PostgreSQL database -------------------------------------------------------


@pytest.mark.postgres
def test_two_instances_serve_what_either_uploaded(
    postgres: PostgresServer, tmp_path_factory: pytest.TempPathFactory, logs: Path
) -> None:
    """Each instance has its own variant cache; the originals are in the database they share, and the
    other instance's answers (cached) see the upload at once through the change log's NOTIFY."""
    name = postgres.create_database()
    directory = tmp_path_factory.mktemp("media-two")
    try:
        url = postgres.url(name)
        seed(url)
        with (
            live_server(url, logs, extra_env={"ACCORD_MEDIA_CACHE_DIR": str(directory / "one")}) as one,
            live_server(url, logs, extra_env={"ACCORD_MEDIA_CACHE_DIR": str(directory / "two")}) as two,
        ):
            headers = bearer(create_token(one.env, "media-two"))
            target = exhibit_id(one)
            for sender, other in ((one, two), (two, one)):
                exhibit_images(other)  # an answer the other instance keeps in its cache
                data = files.encode(files.marked((900 + sender.port % 50, 600)), "PNG")
                image = uploaded(
                    multipart_upload(sender.graphql_url, data, headers=headers, exhibit_id=target)
                )
                _eventually(lambda: image["id"] in [i["id"] for i in exhibit_images(other)])  # noqa: B023
                for instance in (one, two):
                    path = image["url"].removeprefix(sender.url)
                    for fmt in served_formats():
                        response = httpx.get(
                            f"{instance.url}{path.rsplit('.', 1)[0]}.{fmt.value}", timeout=120
                        )
                        assert response.status_code == 200, (instance.url, fmt, response.text)
                        assert response.headers["content-type"] == fmt.media_type
            assert list((directory / "one").rglob("*.webp")) and list((directory / "two").rglob("*.webp"))
    finally:
        postgres.drop_database(name)


def _eventually(check: Any, within: float = 15) -> None:
    import time

    deadline = time.monotonic() + within
    while not check():
        assert time.monotonic() < deadline, "the condition did not hold in time"
        time.sleep(0.1)


def test_image_ids_in_the_write_inputs(server: LiveServer, editor: dict[str, str]) -> None:
    """``imageIds`` sets an item's images in order, like the other id lists: checked before anything
    is written, ``null`` keeps them, ``[]`` empties them, and the revision records the change."""
    first, second = (
        uploaded(
            multipart_upload(server.graphql_url, files.encode(files.marked((w, 100)), "PNG"), headers=editor)
        )
        for w in (150, 160)
    )
    update = """mutation($id: ID!, $input: ExhibitPatch!) {
      updateExhibit(id: $id, input: $input) { images { id } } }"""
    target = exhibit_id(server, "foreign-customs-exchange-artifacts")

    def images_after(patch: dict[str, Any]) -> list[str]:
        answer = data_of(post(server, update, {"id": target, "input": patch}, headers=editor))
        return [image["id"] for image in answer["updateExhibit"]["images"]]

    assert images_after({"imageIds": [second["id"], first["id"]]}) == [second["id"], first["id"]]
    assert images_after({"description": {"en": "Kept pictures"}, "imageIds": None}) == [
        second["id"],
        first["id"],
    ]
    assert images_after({"imageIds": [first["id"]]}) == [first["id"]]
    refusals = [
        ([first["id"], first["id"]], "BAD_USER_INPUT", "input.imageIds: an image is listed twice"),
        (["SW1hZ2U6OTk5OTk"], "NOT_FOUND", "input.imageIds[0]: no image with id SW1hZ2U6OTk5OTk"),
        ([target], "BAD_USER_INPUT", "input.imageIds[0]: expected the id of an Image, got one of an Exhibit"),
        ([first["id"]] * 51, "BAD_USER_INPUT", "input.imageIds: at most 50 images per exhibit (51 given)"),
    ]
    for ids, code, message in refusals:
        [error] = errors_of(post(server, update, {"id": target, "input": {"imageIds": ids}}, headers=editor))
        assert (error["extensions"]["code"], error["message"]) == (code, message), error
    assert images_after({"imageIds": []}) == []
    history = revisions(server, editor, target)
    assert [len(entry["after"]["images"]) for entry in history[:4]] == [0, 1, 2, 2]
