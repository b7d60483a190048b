"""Image uploads as GraphQL multipart requests (the GraphQL multipart request specification), sent with
httpx's own multipart encoder: ``operations``, ``map``, then the file part."""

from __future__ import annotations

import json
from typing import Any

import httpx

UPLOAD = """mutation Upload($file: Upload!, $alt: LocalizedTextInput!, $exhibitId: ID, $eventId: ID,
  $credit: String) {
  uploadImage(file: $file, alt: $alt, exhibitId: $exhibitId, eventId: $eventId, credit: $credit) {
    id width height alt credit placeholder dominantColor url(width: 640, format: WEBP) srcset
  }
}"""


def multipart_upload(
    graphql_url: str,
    data: bytes,
    *,
    headers: dict[str, str],
    alt: dict[str, Any] | None = None,
    exhibit_id: str | None = None,
    event_id: str | None = None,
    credit: str | None = None,
    filename: str = "photo.jpg",
    content_type: str = "image/jpeg",
) -> httpx.Response:
    variables = {
        "file": None,
        "alt": alt or {"en": "A test picture"},
        "exhibitId": exhibit_id,
        "eventId": event_id,
        "credit": credit,
    }
    form = {
        "operations": json.dumps({"query": UPLOAD, "variables": variables}),
        "map": json.dumps({"0": ["variables.file"]}),
    }
    return httpx.post(
        graphql_url,
        data=form,
        files={"0": (filename, data, content_type)},
        headers=headers,
        timeout=120,
    )


def uploaded(response: httpx.Response) -> dict[str, Any]:
    """The uploaded image of a successful answer."""
    body = response.json()
    assert response.status_code == 200 and "errors" not in body, body
    image: dict[str, Any] = body["data"]["uploadImage"]
    return image
