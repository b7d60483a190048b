"""Images over live HTTP: `accord media add` stores them, `accord serve` serves their variants
(headers, 304, Accept, width snapping, drafts hidden, clean 4xx), on SQLite and PostgreSQL, and two
instances on one PostgreSQL database serve what either added."""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import httpx
import pytest
from PIL import Image
from sqlalchemy import func, select

from accord.core.ids import from_global_id
from accord.core.tables import images
from accord.db import create_sync_engine
from accord.media.formats import VariantFormat, served_formats
from accord.models import ChangeLog
from tests.harness import images as files
from tests.harness.databases import seed, sqlite_url
from tests.harness.postgres import PostgresServer
from tests.harness.server import LiveServer, accord_env, live_server, run_accord

PUBLISHED_EXHIBIT = "foreign-customs-exchange-uniforms"
CACHE_CONTROL = "public, max-age=31536000, immutable"
T = TypeVar("T")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, logs: Path
) -> Iterator[LiveServer]:
    """accord over the seed, with its own variant cache directory; tests here add images to it."""
    directory = tmp_path_factory.mktemp("media")
    if request.param == "sqlite":
        url = sqlite_url(directory)
        seed(url)
        with live_server(
            url, logs, extra_env={"ACCORD_MEDIA_CACHE_DIR": str(directory / "cache")}
        ) as running:
            yield running
        return
    postgres: PostgresServer = request.getfixturevalue("postgres")
    name = postgres.create_database()
    try:
        seed(postgres.url(name))
        extra = {"ACCORD_MEDIA_CACHE_DIR": str(directory / "cache")}
        with live_server(postgres.url(name), logs, extra_env=extra) as running:
            yield running
    finally:
        postgres.drop_database(name)


def add_image(server: LiveServer, tmp_path: Path, data: bytes, *options: str, name: str = "photo.jpg") -> str:
    """`accord media add` as an operator runs it; the content hash of the image it stored."""
    path = tmp_path / name
    path.write_bytes(data)
    if not options:
        options = ("--exhibit", PUBLISHED_EXHIBIT)
    result = run_accord("media", "add", str(path), *options, "--alt-en", "A test picture", env=server.env)
    assert result.returncode == 0, result.stderr
    type_name, image_id = from_global_id(result.stdout.strip().splitlines()[-1])
    assert type_name == "Image"
    engine = create_sync_engine(server.env["ACCORD_DATABASE_URL"])
    try:
        with engine.connect() as conn:
            digest: str = conn.execute(
                select(images.c.content_hash).where(images.c.id == image_id)
            ).scalar_one()
    finally:
        engine.dispose()
    assert f"/media/{digest}/" in result.stderr
    return digest


def eventually(check: Callable[[], T | None], within: float = 15) -> T:
    """Another process's write reaches a server's caches on its next change-log read (0.1 s on SQLite)."""
    deadline = time.monotonic() + within
    while True:
        found = check()
        if found is not None or time.monotonic() > deadline:
            assert found is not None, "the condition did not hold in time"
            return found
        time.sleep(0.1)


def picture(response: httpx.Response) -> Image.Image:
    image = Image.open(io.BytesIO(response.content))
    image.load()
    return image


def test_an_image_added_with_the_cli_is_served_with_immutable_caching(
    server: LiveServer, tmp_path: Path
) -> None:
    digest = add_image(server, tmp_path, files.rotated_jpeg_with_gps((1500, 1000)))
    for fmt in served_formats():
        response = httpx.get(f"{server.url}/media/{digest}/640.{fmt.value}")
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == fmt.media_type
        assert response.headers["cache-control"] == CACHE_CONTROL
        assert response.headers["etag"].startswith('"') and digest[:16] in response.headers["etag"]
        assert response.headers["x-content-type-options"] == "nosniff"
        assert int(response.headers["content-length"]) == len(response.content)
        image = picture(response)
        assert image.format == fmt.pillow_name
        assert image.size == (640, 427)  # upright: the file was stored sideways with Orientation 6
        assert len(image.getexif()) == 0 and "exif" not in image.info
        assert b"GPS" not in response.content and b"TestCam" not in response.content
    head = httpx.head(f"{server.url}/media/{digest}/640.jpg")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["etag"] == httpx.get(f"{server.url}/media/{digest}/640.jpg").headers["etag"]


def test_a_304_round_trip(server: LiveServer, tmp_path: Path) -> None:
    digest = add_image(server, tmp_path, files.accepted_files()["png"], name="p.png")
    url = f"{server.url}/media/{digest}/320.webp"
    first = httpx.get(url)
    assert first.status_code == 200
    etag = first.headers["etag"]
    again = httpx.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag and again.headers["cache-control"] == CACHE_CONTROL
    assert httpx.get(url, headers={"If-None-Match": f"W/{etag}"}).status_code == 304
    assert httpx.get(url, headers={"If-None-Match": '"something-else"'}).status_code == 200
    other_format = httpx.get(f"{server.url}/media/{digest}/320.jpg", headers={"If-None-Match": etag})
    assert other_format.status_code == 200 and other_format.headers["etag"] != etag


def test_the_format_is_negotiated_from_accept(server: LiveServer, tmp_path: Path) -> None:
    digest = add_image(server, tmp_path, files.accepted_files()["webp"], name="w.webp")
    url = f"{server.url}/media/{digest}/320"
    avif = VariantFormat.AVIF in served_formats()
    cases = {
        "image/avif,image/webp,image/apng,image/*,*/*;q=0.8": "image/avif" if avif else "image/webp",
        "image/webp,*/*": "image/webp",
        "image/avif;q=0,image/webp;q=0.9": "image/webp",
        "*/*": "image/jpeg",
        "": "image/jpeg",
    }
    etags = set()
    for accept, media_type in cases.items():
        response = httpx.get(url, headers={"Accept": accept} if accept else {})
        assert response.status_code == 200, (accept, response.text)
        assert response.headers["content-type"] == media_type, accept
        assert response.headers["vary"] == "Accept"
        extension = {"image/avif": "avif", "image/webp": "webp", "image/jpeg": "jpg"}[media_type]
        assert response.headers["content-location"] == f"/media/{digest}/320.{extension}"
        assert picture(response).width == 320
        etags.add((media_type, response.headers["etag"]))
    assert len({etag for _, etag in etags}) == len({media_type for media_type, _ in etags})


def test_unknown_widths_snap_to_the_nearest_variant(server: LiveServer, tmp_path: Path) -> None:
    digest = add_image(server, tmp_path, files.encode(files.marked((1000, 500)), "PNG"), name="s.png")
    with httpx.Client(base_url=server.url) as client:
        for asked, snapped in ((700, 640), (1, 320), (99_999, 1000), (2048, 1000), (900, 1000)):
            response = client.get(f"/media/{digest}/{asked}.webp")
            assert response.status_code == 301, (asked, response.text)
            assert response.headers["location"] == f"/media/{digest}/{snapped}.webp"
            assert response.headers["cache-control"] == CACHE_CONTROL
            assert picture(client.get(response.headers["location"])).width == snapped
        negotiated = client.get(f"/media/{digest}/700", headers={"Accept": "image/webp"})
        assert negotiated.status_code == 301 and negotiated.headers["location"] == f"/media/{digest}/640"
        assert picture(client.get(f"/media/{digest}/1000.jpg")).size == (1000, 500)  # never upscaled


def test_images_only_on_drafts_are_not_served_to_anonymous_readers(
    server: LiveServer, tmp_path: Path
) -> None:
    def exhibit_file(status: str) -> Path:
        path = tmp_path / f"draft-{status}.yaml"
        path.write_text(
            "exhibits:\n"
            f"  - slug: media-draft-exhibit\n    title: {{en: Not yet shown}}\n    status: {status}\n"
        )
        return path

    assert run_accord("fixtures", "load", str(exhibit_file("DRAFT")), env=server.env).returncode == 0
    digest = add_image(
        server, tmp_path, files.encode(files.marked((400, 300)), "PNG"), "--exhibit", "media-draft-exhibit"
    )
    url = f"{server.url}/media/{digest}/320.jpg"

    def status() -> int:
        return httpx.get(url).status_code

    assert status() == 404
    assert httpx.get(f"{server.url}/media/{digest}/320", headers={"Accept": "image/webp"}).status_code == 404
    assert run_accord("fixtures", "load", str(exhibit_file("PUBLISHED")), env=server.env).returncode == 0
    eventually(lambda: True if status() == 200 else None)
    assert run_accord("fixtures", "load", str(exhibit_file("DRAFT")), env=server.env).returncode == 0
    eventually(lambda: True if status() == 404 else None)
    assert httpx.get(url, headers={"If-None-Match": "*"}).status_code == 404  # no 304 either


def test_bad_media_urls_get_clean_4xx_answers(server: LiveServer, tmp_path: Path) -> None:
    digest = add_image(server, tmp_path, files.accepted_files()["jpeg"])
    unknown = "0" * 64
    cases = {
        f"/media/{unknown}/320.jpg": 404,
        f"/media/{unknown}/320": 404,
        f"/media/{digest.upper()}/320.jpg": 404,
        f"/media/{digest[:-1]}/320.jpg": 404,
        "/media/not-a-hash/320.jpg": 404,
        f"/media/{digest}/320.png": 404,
        f"/media/{digest}/320.JPG": 404,
        f"/media/{digest}/320.svg": 404,
        f"/media/{digest}/abc.jpg": 400,
        f"/media/{digest}/0.jpg": 400,
        f"/media/{digest}/-5.jpg": 400,
        f"/media/{digest}/123456.jpg": 400,
        f"/media/{digest}/320.webp.exe": 400,
        f"/media/{digest}/%EF%BC%91.jpg": 400,  # a full-width digit
        f"/media/{digest}/320.jpg%00": 400,
        f"/media/{digest}/" + "9" * 5000: 400,
        f"/media/{digest}": 404,
    }
    with httpx.Client(base_url=server.url) as client:
        for path, expected in cases.items():
            response = client.get(path)
            assert response.status_code == expected, (path, response.status_code, response.text[:200])
            assert "Traceback" not in response.text
        assert client.post(f"/media/{digest}/320.jpg").status_code == 405


REFUSED: dict[str, tuple[Callable[[], bytes], str]] = {
    "bomb.png": (files.png_bomb, "over the limit of 50,000,000 pixels"),
    "truncated.jpg": (lambda: files.truncated(files.accepted_files()["jpeg"]), "truncated or damaged"),
    "notes.jpg": (files.text_file, "not an image accord can read"),
    "drawing.svg": (files.svg, "SVG images are refused because they can carry scripts"),
    "drawing.jpg": (files.svg, "SVG images are refused"),
    "big.png": (
        lambda: files.encode(files.marked((900, 900)), "PNG", compress_level=0),
        "over the upload limit",
    ),
}


def test_refused_files_get_the_reason_and_store_nothing(server: LiveServer, tmp_path: Path) -> None:
    engine = create_sync_engine(server.env["ACCORD_DATABASE_URL"])
    changes = ChangeLog.__table__  # type: ignore[attr-defined]

    def stored() -> tuple[int, int]:
        with engine.connect() as conn:
            count = conn.execute(select(func.count()).select_from(images)).scalar_one()
            return count, conn.execute(select(func.max(changes.c.id))).scalar_one()

    env = dict(server.env, ACCORD_MEDIA_MAX_UPLOAD_BYTES=str(1_000_000))
    try:
        before = stored()
        for name, (make, reason) in REFUSED.items():
            path = tmp_path / name
            path.write_bytes(make())
            result = run_accord(
                "media", "add", str(path), "--exhibit", PUBLISHED_EXHIBIT, "--alt-en", "x", env=env
            )
            assert result.returncode == 1, (name, result.stdout, result.stderr)
            assert reason in result.stderr, (name, result.stderr)
            assert str(path) in result.stderr and "Traceback" not in result.stderr
            assert stored() == before, name
        blank = tmp_path / "fine.png"
        blank.write_bytes(files.accepted_files()["png"])
        result = run_accord(
            "media", "add", str(blank), "--exhibit", PUBLISHED_EXHIBIT, "--alt-en", " ", env=env
        )
        assert result.returncode == 2 and "--alt-en: must not be blank" in result.stderr
        result = run_accord(
            "media", "add", str(blank), "--exhibit", "no-such-exhibit", "--alt-en", "x", env=env
        )
        assert result.returncode == 1 and "no exhibit with slug 'no-such-exhibit'" in result.stderr
        assert stored() == before
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_two_instances_on_postgresql_serve_images_added_through_either(
    postgres: PostgresServer, tmp_path: Path, logs: Path
) -> None:
    name = postgres.create_database()
    try:
        url = postgres.url(name)
        seed(url)
        caches = [tmp_path / "cache-1", tmp_path / "cache-2"]
        with (
            live_server(url, logs, extra_env={"ACCORD_MEDIA_CACHE_DIR": str(caches[0])}) as first,
            live_server(url, logs, extra_env={"ACCORD_MEDIA_CACHE_DIR": str(caches[1])}) as second,
        ):
            instances = {first.url, second.url}
            assert len({httpx.get(f"{u}/healthz").headers["x-accord-instance"] for u in instances}) == 2
            digests = [
                add_image(first, tmp_path, files.accepted_files()["jpeg"], name="one.jpg"),
                add_image(second, tmp_path, files.accepted_files()["png"], name="two.png"),
            ]
            for digest in digests:
                bodies = set()
                for base in instances:
                    response = httpx.get(f"{base}/media/{digest}/320.webp")
                    assert response.status_code == 200, (base, response.text)
                    bodies.add(response.content)
                assert len(bodies) == 1  # the same variant, built by each instance on its own disk
                for cache in caches:
                    assert list(cache.rglob(f"{digest}/320.webp")), cache
    finally:
        postgres.drop_database(name)


def test_an_image_id_is_an_accord_id_that_no_node_answers_yet(server: LiveServer, tmp_path: Path) -> None:
    path = tmp_path / "n.png"
    path.write_bytes(files.accepted_files()["png-alpha"])
    result = run_accord(
        "media", "add", str(path), "--event", "1991-taiwan-joins-apec", "--alt-en", "x", env=server.env
    )
    assert result.returncode == 0, result.stderr
    image_id = result.stdout.strip().splitlines()[-1]
    answer = httpx.post(
        server.graphql_url,
        json={"query": "query($id: ID!) { node(id: $id) { id } }", "variables": {"id": image_id}},
    ).json()
    assert answer["data"] == {"node": None} and "errors" not in answer


def test_media_commands_have_help(tmp_path: Path) -> None:
    env = accord_env(f"sqlite:///{tmp_path}/x.db")
    for verb in (["media"], ["media", "add"]):
        result = run_accord(*verb, "--help", env=env)
        assert result.returncode == 0 and "Usage" in result.stdout, result.stderr
    assert "--alt-en" in run_accord("media", "add", "--help", env=env).stdout
