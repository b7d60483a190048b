"""Images in the database on both backends: storing, ordering, visibility, deletion, and the
export/import round trip, byte for byte (accord.media.store, accord.media.exchange)."""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import Connection, Engine, func, select

from accord.content.service import load_document
from accord.core.errors import BadInput, NotFound
from accord.core.tables import image_data, images
from accord.core.visibility import EDITOR, PUBLIC
from accord.media import (
    ImageRecord,
    ImageRecordError,
    MediaLimits,
    Owner,
    OwnerKind,
    attach_image,
    delete_image,
    describe_image,
    detach_image,
    export_images,
    find_image,
    images_of,
    import_image,
    owner_by_slug,
    owner_image_hashes,
    process_image,
    save_image,
    set_owner_image_hashes,
    set_owner_images,
    update_image,
    visible_image_query,
)
from accord.media.records import encode_data
from accord.media.store import original_data, owner_image_ids, owners_of
from accord.models.enums import Status
from tests.harness import images as files
from tests.harness.databases import migrated_engine, seed
from tests.harness.postgres import PostgresServer

EXHIBIT = "foreign-customs-exchange-uniforms"
OTHER_EXHIBIT = "foreign-customs-exchange-documents"
EVENT = "1991-taiwan-joins-apec"
LIMITS = MediaLimits()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    seed(database_url)
    engine = migrated_engine(database_url)
    try:
        yield engine
    finally:
        engine.dispose()


def owner(conn: Connection, kind: OwnerKind, slug: str) -> Owner:
    found = owner_by_slug(conn, kind, slug)
    assert found is not None
    return found


def add(conn: Connection, data: bytes, alt: str, *, to: Owner | None = None) -> int:
    image, _ = save_image(conn, process_image(data, LIMITS), describe_image({"en": alt}))
    if to is not None:
        attach_image(conn, image.id, to)
    return image.id


def pictures(count: int) -> list[bytes]:
    return [files.encode(files.marked((120 + 10 * n, 80)), "PNG") for n in range(count)]


def test_images_are_attached_in_order_and_moved_and_detached(engine: Engine) -> None:
    with engine.begin() as conn:
        exhibit = owner(conn, OwnerKind.EXHIBIT, EXHIBIT)
        first, second, third = (
            add(conn, data, f"picture {n}", to=exhibit) for n, data in enumerate(pictures(3))
        )
        assert owner_image_ids(conn, exhibit) == [first, second, third]
        assert not attach_image(conn, second, exhibit)  # already there: nothing changes
        assert attach_image(conn, third, exhibit, position=0)
        assert owner_image_ids(conn, exhibit) == [third, first, second]
        assert attach_image(conn, first, exhibit, position=99)
        assert owner_image_ids(conn, exhibit) == [third, second, first]
        assert detach_image(conn, second, exhibit)
        assert not detach_image(conn, second, exhibit)
        assert [image.id for image in images_of(conn, OwnerKind.EXHIBIT, [exhibit.id])[exhibit.id]] == [
            third,
            first,
        ]
        set_owner_images(conn, exhibit, [first, second])
        assert owner_image_ids(conn, exhibit) == [first, second]
        # One image on several owners, and one query for many owners.
        event = owner(conn, OwnerKind.EVENT, EVENT)
        attach_image(conn, first, event)
        other = owner(conn, OwnerKind.EXHIBIT, OTHER_EXHIBIT)
        found = images_of(conn, OwnerKind.EXHIBIT, [exhibit.id, other.id])
        assert list(found) == [exhibit.id]
        assert [image.alt_en for image in found[exhibit.id]] == ["picture 0", "picture 1"]
        assert [image.id for image in images_of(conn, OwnerKind.EVENT, [event.id])[event.id]] == [first]


def test_bad_links_are_refused(engine: Engine) -> None:
    with engine.begin() as conn:
        exhibit = owner(conn, OwnerKind.EXHIBIT, EXHIBIT)
        image_id = add(conn, pictures(1)[0], "one")
        with pytest.raises(NotFound, match="imageId: no image"):
            attach_image(conn, 99_999, exhibit)
        with pytest.raises(NotFound, match="exhibitId: no exhibit"):
            attach_image(conn, image_id, Owner(OwnerKind.EXHIBIT, 99_999))
        with pytest.raises(BadInput, match="listed twice"):
            set_owner_images(conn, exhibit, [image_id, image_id])
        with pytest.raises(NotFound, match=r"imageIds\[1\]"):
            set_owner_images(conn, exhibit, [image_id, 99_999])


def test_the_same_picture_is_stored_once_and_described_anew(engine: Engine) -> None:
    data = pictures(1)[0]
    with engine.begin() as conn:
        first, created = save_image(conn, process_image(data, LIMITS), describe_image({"en": "old"}))
        assert created
        again, created = save_image(
            conn, process_image(data, LIMITS), describe_image({"en": "new", "zh_tw": "新"}, "Museum")
        )
        assert not created and again.id == first.id
        assert (again.alt_en, again.alt_zh, again.credit) == ("new", "新", "Museum")
        assert again.updated_at >= first.updated_at and again.created_at == first.created_at
        same = update_image(conn, first.id, describe_image({"en": "new", "zh_tw": "新"}, "Museum"))
        assert same == again  # nothing changed: not even updated_at
        assert conn.execute(select(func.count()).select_from(images)).scalar_one() == 1
        assert conn.execute(select(func.count()).select_from(image_data)).scalar_one() == 1
        with pytest.raises(NotFound):
            update_image(conn, 99_999, describe_image({"en": "x"}))


def test_deleting_an_image_removes_its_bytes_and_links_and_deleting_content_its_links(engine: Engine) -> None:
    with engine.begin() as conn:
        exhibit = owner(conn, OwnerKind.EXHIBIT, EXHIBIT)
        kept, removed = (add(conn, data, "x", to=exhibit) for data in pictures(2))
        removed_hash = conn.execute(select(images.c.content_hash).where(images.c.id == removed)).scalar_one()
        assert delete_image(conn, removed)
        assert not delete_image(conn, removed)
        assert original_data(conn, removed_hash) is None
        assert owner_image_ids(conn, exhibit) == [kept]
        conn.exec_driver_sql(f"DELETE FROM exhibit WHERE id = {exhibit.id}")
        assert owner_image_ids(conn, exhibit) == []
        assert find_image(conn, find_hash(conn, kept)) is not None  # the image stays


def find_hash(conn: Connection, image_id: int) -> str:
    digest: str = conn.execute(select(images.c.content_hash).where(images.c.id == image_id)).scalar_one()
    return digest


def test_an_image_is_visible_while_something_published_shows_it(engine: Engine) -> None:
    document_draft = {"exhibits": [{"slug": "draft-exhibit", "title": {"en": "Draft"}, "status": "DRAFT"}]}
    from accord.content.document import DOCUMENT_TYPE

    load_document(engine, DOCUMENT_TYPE.model_validate(document_draft))
    with engine.begin() as conn:
        draft = owner(conn, OwnerKind.EXHIBIT, "draft-exhibit")
        image_id = add(conn, pictures(1)[0], "x")
        digest = find_hash(conn, image_id)

        def visible(visibility: object = PUBLIC) -> bool:
            return conn.execute(visible_image_query(digest, visibility)).first() is not None  # type: ignore[arg-type]

        assert not visible()  # attached to nothing
        attach_image(conn, image_id, draft)
        assert not visible()  # only on a draft
        assert visible(EDITOR)
        event = owner(conn, OwnerKind.EVENT, EVENT)
        attach_image(conn, image_id, event)
        assert visible()  # on a published event too
        conn.exec_driver_sql(f"UPDATE event SET status = '{Status.ARCHIVED.value}' WHERE id = {event.id}")
        assert not visible()


def test_the_owners_of_an_image_are_found(engine: Engine) -> None:
    with engine.begin() as conn:
        exhibit = owner(conn, OwnerKind.EXHIBIT, EXHIBIT)
        event = owner(conn, OwnerKind.EVENT, EVENT)
        image_id = add(conn, pictures(1)[0], "x", to=exhibit)
        attach_image(conn, image_id, event)
        assert owners_of(conn, image_id) == [exhibit, event]
        detach_image(conn, image_id, exhibit)
        assert owners_of(conn, image_id) == [event]


def test_export_and_import_round_trip_byte_for_byte(engine: Engine, postgres_or_sqlite_second: str) -> None:
    sources = [
        files.rotated_jpeg_with_gps(),
        files.accepted_files()["png-alpha"],
        files.accepted_files()["webp"],
        files.accepted_files()["webp-lossless-alpha"],
    ]
    with engine.begin() as conn:
        exhibit = owner(conn, OwnerKind.EXHIBIT, EXHIBIT)
        for n, data in enumerate(sources):
            image_id = add(conn, data, f"picture {n}", to=exhibit)
        update_image(conn, image_id, describe_image({"en": "last", "zh_tw": "最後"}, "Credit"))
        exported = list(export_images(conn))
        order = owner_image_hashes(conn, exhibit)
    assert len(exported) == len(sources)
    assert [record.content_hash for record in exported] == sorted(record.content_hash for record in exported)

    seed(postgres_or_sqlite_second)
    other = migrated_engine(postgres_or_sqlite_second)
    try:
        with other.begin() as conn:
            for record in exported:
                assert import_image(conn, ImageRecord.model_validate_json(record.model_dump_json()))[1]
            set_owner_image_hashes(conn, owner(conn, OwnerKind.EXHIBIT, EXHIBIT), order)
        with other.begin() as conn:  # importing again changes nothing
            for record in exported:
                assert not import_image(conn, record)[1]
            again = list(export_images(conn))
            assert owner_image_hashes(conn, owner(conn, OwnerKind.EXHIBIT, EXHIBIT)) == order
            for record in exported:
                assert original_data(conn, record.content_hash) == base64.b64decode(record.data)
    finally:
        other.dispose()
    assert [record.model_dump_json() for record in again] == [record.model_dump_json() for record in exported]


def test_a_tampered_record_is_refused_and_writes_nothing(engine: Engine) -> None:
    with engine.begin() as conn:
        add(conn, files.accepted_files()["jpeg"], "x")
        record = next(export_images(conn))
        data = base64.b64decode(record.data)
    metadata_jpeg = files.rotated_jpeg_with_gps()
    from accord.media.processing import content_hash_of

    bad = {
        "not base64": record.model_copy(update={"data": "***"}),
        "other bytes": record.model_copy(update={"data": encode_data(data[:-1] + b"\x00")}),
        "wrong size": record.model_copy(update={"byte_size": record.byte_size + 1}),
        "wrong width": record.model_copy(update={"width": record.width + 1}),
        "metadata": record.model_copy(
            update={
                "data": encode_data(metadata_jpeg),
                "content_hash": content_hash_of(metadata_jpeg),
                "byte_size": len(metadata_jpeg),
            }
        ),
    }
    for name, tampered in bad.items():
        with engine.begin() as conn:
            conn.exec_driver_sql("DELETE FROM image")
        with pytest.raises(ImageRecordError, match=r"^data: "), engine.begin() as conn:
            import_image(conn, tampered)
        with engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(images)).scalar_one() == 0, name


@pytest.mark.postgres
def test_two_transactions_storing_the_same_new_picture_make_one_image(postgres: PostgresServer) -> None:
    """The second insert meets the first's unique content hash: it describes that image instead."""
    name = postgres.create_database()
    engine = migrated_engine(postgres.url(name))
    try:
        processed = process_image(pictures(1)[0], LIMITS)
        first = engine.connect()
        first.begin()
        mine, created = save_image(first, processed, describe_image({"en": "first"}))
        assert created
        outcome: list[tuple[int, bool]] = []

        def second() -> None:
            with engine.begin() as conn:  # blocks on the uncommitted row until the first commits
                image, made = save_image(conn, processed, describe_image({"en": "second"}))
                outcome.append((image.id, made))

        thread = threading.Thread(target=second)
        thread.start()
        thread.join(timeout=1)
        assert thread.is_alive()  # waiting for the first transaction
        first.commit()
        first.close()
        thread.join(timeout=30)
        assert outcome == [(mine.id, False)]
        with engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(images)).scalar_one() == 1
            stored = find_image(conn, processed.content_hash)
            assert stored is not None and stored.alt_en == "second"
    finally:
        engine.dispose()
        postgres.drop_database(name)
