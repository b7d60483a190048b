"""GraphQL's ``Image`` type and the image mutations (docs/media.md).

An ``Image`` is a row of the image table (its description, never its bytes), from the relation
loaders or from a write. Its URLs start with the public URL (``Context.media_base``) and name the
picture by content hash, a variant width snapped to the ones it has (accord.media.formats) and,
optionally, a format; the compiled path builds the same strings in SQL (accord.fastpath.sql_json).

Uploads follow the GraphQL multipart request specification: the ``file`` argument is a file part of
a multipart/form-data request (accord.http.multipart); anything else given as ``file`` is refused.
"""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from starlette.datastructures import UploadFile
from strawberry.file_uploads import Upload

from accord.content.model import EVENT, EXHIBIT
from accord.core.errors import BadInput
from accord.core.ids import to_global_id
from accord.core.locale import pick
from accord.core.row_types import ImageRow
from accord.media import (
    IMAGE_TYPE,
    MediaLimits,
    StoredImage,
    VariantFormat,
    check_upload_size,
    describe_image,
    media_url,
    served_formats,
    srcset,
)
from accord.models.columns import copy_into
from accord.models.enums import Locale
from accord.schema import enums as _enums  # noqa: F401  (registers ImageFormat with strawberry)
from accord.schema.context import Context
from accord.schema.inputs import LocalizedTextInput
from accord.write.images import KEEP, ImageWriter, OwnerRef

Info = strawberry.Info[Context, None]
FORMAT_DESCRIPTION = "A format to serve; null: the URL negotiates it from the browser's Accept header."
FormatArgument = Annotated[VariantFormat | None, strawberry.argument(description=FORMAT_DESCRIPTION)]
ALT_DESCRIPTION = "What the picture shows, in English and optionally Traditional Chinese (one line each)."


def _served(format: VariantFormat | None) -> VariantFormat | None:
    if format is not None and format not in served_formats():
        names = ", ".join(f.name for f in served_formats())
        raise BadInput(f"format: this server serves {names}", field="format")
    return format


@strawberry.type(
    description=(
        "A picture of an exhibit or event, served in several widths and formats from "
        "/media/{content hash}/{width}.{format} (docs/media.md)."
    )
)
class Image:
    id: strawberry.ID = strawberry.field(description="Opaque global id.")
    width: int = strawberry.field(description="Of the stored original, in pixels, upright.")
    height: int
    credit: str | None = strawberry.field(description="Who made the picture or holds its rights.")
    placeholder: str = strawberry.field(
        description="A BlurHash of the picture (4 x 3 components), to show while it loads."
    )
    dominant_color: str = strawberry.field(description="The picture's most common colour, as #rrggbb.")
    alt_en: strawberry.Private[str]
    alt_zh: strawberry.Private[str | None]
    content_hash: strawberry.Private[str]

    @classmethod
    def of(cls, row: ImageRow | StoredImage) -> Image:
        """From an image row, or a stored image (the same attribute names)."""
        return copy_into(cls, row, id=strawberry.ID(to_global_id(IMAGE_TYPE, row.id)))

    @strawberry.field(description="What the picture shows, for people who cannot see it.")
    def alt(self, info: Info, locale: Locale | None = None) -> str:
        return pick(self.alt_en, self.alt_zh, locale if locale is not None else info.context.locale)

    @strawberry.field(
        description=(
            "The URL of one variant: the width snaps to the nearest one the picture has "
            "(320, 640, 1280 and 2048 pixels, never wider than the original; null: the largest)."
        )
    )
    def url(self, info: Info, width: int | None = None, format: FormatArgument = None) -> str:
        return media_url(info.context.media_base, self.content_hash, self.width, width, _served(format))

    @strawberry.field(
        description="Every variant with its width, for an <img srcset> (smallest first), in one format."
    )
    def srcset(self, info: Info, format: FormatArgument = None) -> str:
        return srcset(info.context.media_base, self.content_hash, self.width, _served(format))


# -- mutations --------------------------------------------------------------------------------


def _images(info: Info) -> ImageWriter:
    images = info.context.images
    assert images is not None, "mutations run with the image writer in the context"
    return images


def _owner(exhibit_id: str | None, event_id: str | None) -> OwnerRef:
    """The one exhibit or event an attachment names."""
    if (exhibit_id is None) == (event_id is None):
        raise BadInput("give exactly one of exhibitId and eventId", field="exhibitId")
    if exhibit_id is not None:
        return OwnerRef(EXHIBIT, exhibit_id, "exhibitId")
    assert event_id is not None
    return OwnerRef(EVENT, event_id, "eventId")


async def _read_upload(file: Any, limits: MediaLimits) -> bytes:
    """The bytes of the uploaded file, never more than the limit (ImageRefused beyond it)."""
    if not isinstance(file, UploadFile):
        raise BadInput(
            "file: send the file as a part of a multipart/form-data request "
            "(the GraphQL multipart request specification; docs/media.md)",
            field="file",
        )
    if file.size is not None:
        check_upload_size(file.size, limits)
    data = await file.read(limits.max_upload_bytes + 1)
    check_upload_size(len(data), limits)
    return data


@strawberry.type
class ImageMutations:
    @strawberry.mutation(
        description=(
            "Store a JPEG, PNG, WebP or GIF (a multipart request: docs/media.md) and show it on an "
            "exhibit and/or an event. The picture is turned upright and stripped of its metadata. "
            "The same picture uploaded again is the same image, described anew. Editors and admins."
        )
    )
    async def upload_image(
        self,
        info: Info,
        file: Upload,
        alt: Annotated[LocalizedTextInput, strawberry.argument(description=ALT_DESCRIPTION)],
        exhibit_id: strawberry.ID | None = None,
        event_id: strawberry.ID | None = None,
        credit: str | None = None,
    ) -> Image:
        images = _images(info)
        description = describe_image({"en": alt.en, "zh_tw": alt.zh_tw}, credit)
        owners = [
            OwnerRef(content, str(given), name)
            for content, given, name in ((EXHIBIT, exhibit_id, "exhibitId"), (EVENT, event_id, "eventId"))
            if given is not None
        ]
        data = await _read_upload(file, images.limits)
        stored, _created = await images.upload(info.context.viewer, data, description, owners)
        return Image.of(stored)

    @strawberry.mutation(
        description=(
            "Show a stored image on an exhibit or an event (give one of the two), after its other "
            "images or at position (0 is first); an image shown already moves there."
        )
    )
    async def attach_image(
        self,
        info: Info,
        image_id: strawberry.ID,
        exhibit_id: strawberry.ID | None = None,
        event_id: strawberry.ID | None = None,
        position: int | None = None,
    ) -> Image:
        if position is not None and position < 0:
            raise BadInput("position: 0 or more (0 is first)", field="position")
        stored = await _images(info).attach(
            info.context.viewer, str(image_id), _owner(exhibit_id, event_id), position
        )
        return Image.of(stored)

    @strawberry.mutation(
        description="Stop showing an image on an exhibit or an event; the image stays stored."
    )
    async def detach_image(
        self,
        info: Info,
        image_id: strawberry.ID,
        exhibit_id: strawberry.ID | None = None,
        event_id: strawberry.ID | None = None,
    ) -> Image:
        stored = await _images(info).detach(info.context.viewer, str(image_id), _owner(exhibit_id, event_id))
        return Image.of(stored)

    @strawberry.mutation(
        description="New alt text and/or credit; what is left out stays, a null or empty credit removes it."
    )
    async def update_image(
        self,
        info: Info,
        id: strawberry.ID,
        alt: LocalizedTextInput | None = strawberry.UNSET,
        credit: str | None = strawberry.UNSET,
    ) -> Image:
        given_alt: Any = (
            KEEP if alt is strawberry.UNSET or alt is None else {"en": alt.en, "zh_tw": alt.zh_tw}
        )
        given_credit: Any = KEEP if credit is strawberry.UNSET else credit
        stored = await _images(info).update(info.context.viewer, str(id), given_alt, given_credit)
        return Image.of(stored)

    @strawberry.mutation(
        description=(
            "Remove an image, its stored file and every place it is shown. Admins only. Returns its id."
        )
    )
    async def delete_image(self, info: Info, id: strawberry.ID) -> strawberry.ID:
        number = await _images(info).delete(info.context.viewer, str(id))
        return strawberry.ID(to_global_id(IMAGE_TYPE, number))
