"""Images on the compiled read path: a page of events and exhibits with their images (every field of
Image, url and srcset included) is answered by one SQL statement per root field whatever its length,
like the same page without images (tests/test_statement_count.py)."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from graphql import parse
from sqlalchemy import event, select

from accord.content.service import load_document
from accord.content.synth import synthesize
from accord.core import tables
from accord.core.visibility import PUBLIC
from accord.db import create_async_db_engine
from accord.fastpath.executor import execute_fast
from accord.media import (
    MediaLimits,
    Owner,
    OwnerKind,
    attach_image,
    describe_image,
    process_image,
    save_image,
)
from accord.models.enums import Locale
from accord.read.db import Reader, statement_engines
from accord.schema import build_schema
from tests.harness import images as files
from tests.harness.databases import migrated_engine

IMAGE_FIELDS = """images { id width height alt zh: alt(locale: ZH_TW) credit placeholder dominantColor
  url(width: 640, format: WEBP) any: url srcset jpegs: srcset(format: JPEG) }"""
PAGE = f"""query($n: Int) {{ events(first: $n, orderBy: DATE_DESC) {{ edges {{ node {{
  slug {IMAGE_FIELDS}
  exhibits {{ slug {IMAGE_FIELDS} }}
}} }} }} exhibits(first: $n) {{ edges {{ node {{ slug {IMAGE_FIELDS} }} }} }} }}"""


@pytest.fixture
def pictured_url(database_url: str) -> str:
    """300 synthetic events; every event and exhibit shows one or two of five pictures."""
    engine = migrated_engine(database_url)
    load_document(engine, synthesize(events=300, partners=60, seed=3))
    with engine.begin() as conn:
        stored = [
            save_image(
                conn,
                process_image(files.encode(files.marked((300 + 200 * n, 200)), "PNG"), MediaLimits()),
                describe_image({"en": f"Picture {n}", "zh_tw": f"圖片 {n}"}, "Archive" if n % 2 else None),
            )[0].id
            for n in range(5)
        ]
        for kind, table in ((OwnerKind.EVENT, tables.events), (OwnerKind.EXHIBIT, tables.exhibits)):
            for n, owner_id in enumerate(conn.execute(select(table.c.id)).scalars().all()):
                for image_id in stored[n % 5 : n % 5 + 1 + n % 2]:
                    attach_image(conn, image_id, Owner(kind, owner_id))
    engine.dispose()
    return database_url


async def _page(url: str, size: int) -> tuple[int, dict[str, Any]]:
    engine = create_async_db_engine(url)
    statements: list[str] = []
    for sql_engine in statement_engines(engine):
        event.listen(sql_engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    try:
        db = Reader(engine)
        data, _ = await execute_fast(
            build_schema()._schema,
            parse(PAGE),
            None,
            {"n": size},
            db=db,
            locale=Locale.EN,
            visibility=PUBLIC,
            media_base="https://accord.example",
        )
        await db.close()
        return len(statements), orjson.loads(orjson.dumps(data))  # the JSON fragments, parsed
    finally:
        await engine.dispose()


async def test_a_page_with_images_is_one_statement_per_root_field_whatever_its_length(
    pictured_url: str,
) -> None:
    small, _ = await _page(pictured_url, 20)
    large, data = await _page(pictured_url, 50)
    assert small == large == 2  # events, exhibits: the images are inside each statement
    events = [edge["node"] for edge in data["events"]["edges"]]
    assert len(events) == 50 and all(event["images"] for event in events)  # the images were read
    image = events[0]["images"][0]
    assert image["url"].startswith("https://accord.example/media/") and image["url"].endswith(".webp")
    assert " 320w" in image["srcset"] and image["jpegs"].count(".jpg ") >= 1
    assert image["zh"].startswith("圖片") and image["dominantColor"].startswith("#")
