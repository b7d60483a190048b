"""Images of exhibits and events: safe processing, storage, variants and serving (docs/media.md).

The API the rest of accord calls, none of it tied to GraphQL:

- processing (``accord.media.processing``): ``check_upload_size``, ``process_image`` /
  ``process_image_async`` (an upload to a ``ProcessedImage``, or ``ImageRefused``, a BadInput),
  ``render_variant`` / ``render_variant_async``;
- description (``accord.media.records``): ``describe_image`` (alt text and credit, checked);
- storage (``accord.media.store``, blocking functions on a ``Connection`` in the caller's
  transaction): ``save_image``, ``update_image``, ``delete_image``, ``attach_image``,
  ``detach_image``, ``set_owner_images``, ``get_image``, ``find_image``, ``images_of``;
  statements for request-time reads: ``images_query``, ``visible_image_query``;
- URLs (``accord.media.formats``): ``variant_widths``, ``snap_width``, ``served_formats``,
  ``media_url``, ``srcset``, and ``WIDTH_BANDS`` for SQL that builds them;
- export and import (``accord.media.exchange``): ``export_image``, ``export_images``,
  ``import_image``, ``owner_image_hashes``, ``set_owner_image_hashes``.

Where the rest of accord meets it: the content model declares ``images`` on exhibits and events
(accord.content.fields.Images), the writer stores uploads and attachments in its transactions
(accord.write.images), GraphQL's ``Image`` type and mutations (accord.schema.images), and the
``/media`` routes (accord.web.media) with the variants cached on disk (``accord.media.cache``).
"""

from __future__ import annotations

from accord.media.errors import ImageRefused, Refusal
from accord.media.exchange import (
    ImageRecordError,
    export_image,
    export_images,
    import_image,
    owner_image_hashes,
    set_owner_image_hashes,
)
from accord.media.formats import (
    WIDTH_BANDS,
    WIDTHS,
    OriginalFormat,
    VariantFormat,
    media_url,
    served_formats,
    snap_width,
    srcset,
    variant_widths,
)
from accord.media.processing import (
    MediaLimits,
    ProcessedImage,
    check_upload_size,
    process_image,
    process_image_async,
    render_variant,
    render_variant_async,
)
from accord.media.records import ImageDescription, ImageRecord, LocalizedAlt, describe_image
from accord.media.store import (
    IMAGE_TYPE,
    Owner,
    OwnerKind,
    StoredImage,
    attach_image,
    delete_image,
    detach_image,
    find_image,
    get_image,
    images_of,
    images_query,
    owner_by_slug,
    owners_of,
    save_image,
    set_owner_images,
    update_image,
    visible_image_query,
)

__all__ = [
    "IMAGE_TYPE",
    "WIDTHS",
    "WIDTH_BANDS",
    "ImageDescription",
    "ImageRecord",
    "ImageRecordError",
    "ImageRefused",
    "LocalizedAlt",
    "MediaLimits",
    "OriginalFormat",
    "Owner",
    "OwnerKind",
    "ProcessedImage",
    "Refusal",
    "StoredImage",
    "VariantFormat",
    "attach_image",
    "check_upload_size",
    "delete_image",
    "describe_image",
    "detach_image",
    "export_image",
    "export_images",
    "find_image",
    "get_image",
    "images_of",
    "images_query",
    "import_image",
    "media_url",
    "owner_by_slug",
    "owner_image_hashes",
    "owners_of",
    "process_image",
    "process_image_async",
    "render_variant",
    "render_variant_async",
    "save_image",
    "served_formats",
    "set_owner_image_hashes",
    "set_owner_images",
    "snap_width",
    "srcset",
    "update_image",
    "variant_widths",
    "visible_image_query",
]
