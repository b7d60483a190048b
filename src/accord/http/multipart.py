"""GraphQL multipart requests: file uploads as the GraphQL multipart request specification puts them
(https://github.com/jaydenseric/graphql-multipart-request-spec).

A ``multipart/form-data`` body holds ``operations`` (the JSON request, or a batch, with each file
replaced by null), ``map`` (which file part goes to which "operations paths", such as
``variables.file`` or ``0.variables.files.1``) and the file parts. Only token holders may send one
(accord.http.graphql_http checks the token before reading the body): a browser sends a
multipart/form-data POST to another site without asking first, but never with an Authorization
header it was not allowed to send, so a forged cross-site upload is refused before its body is read.

The body has its own size limit (ACCORD_MEDIA_MAX_UPLOAD_BYTES for the files, plus
ACCORD_MAX_BODY_BYTES for the rest), counted as it arrives; files are spooled to a temporary file
past 1 MB (Starlette's parser) and closed when the request ends. Every check is linear in the size of
what was sent.
"""

from __future__ import annotations

import copy
from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request

from accord.core.numbers import DECIMAL
from accord.operation.params import BadParams, check_json

MULTIPART = "multipart/form-data"
MAX_FILES = 10  # file parts in one request
MAX_PATHS = 100  # operations paths in one map

Path = tuple[str | int, ...]  # inside one operation, from its top: ("variables", "files", 1)


class MultipartError(Exception):
    """A multipart request that does not follow the specification (answered 400), or is too large
    (413, ``too_large``)."""

    def __init__(self, message: str, *, too_large: bool = False) -> None:
        super().__init__(message)
        self.too_large = too_large


@dataclass
class Upload:
    """One operation of a multipart request: its JSON request, and the files to put where."""

    request: Any  # the operation's JSON object, files still null
    files: list[tuple[Path, UploadFile]] = field(default_factory=list)


@dataclass
class MultipartRequest:
    operations: list[Upload]
    batch: bool  # ``operations`` was a list
    form: FormData  # closes the spooled files

    async def close(self) -> None:
        await self.form.close()


def media_type_of(request: Request) -> str:
    """The request body's media type, from Content-Type without its parameters."""
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


async def read_multipart(request: Request, *, max_bytes: int, max_field_bytes: int) -> MultipartRequest:
    """The operations and their files; MultipartError when the body breaks the specification's
    structure or a limit."""
    parser = MultiPartParser(
        request.headers,
        limited_body(request, max_bytes, _too_large(max_bytes)),
        max_files=MAX_FILES,
        max_fields=2,
        max_part_size=max_field_bytes,
    )
    try:
        form = await parser.parse()
    except MultiPartException as exc:
        raise MultipartError(f"the multipart body cannot be read: {exc.message}") from None
    try:
        return _structure(form)
    except BaseException:
        await form.close()
        raise


def limited_body(request: Request, max_bytes: int, too_large: Exception) -> AsyncGenerator[bytes, None]:
    """The request body as it arrives (a JSON body or a multipart one): ``too_large`` is raised at
    once when Content-Length declares more than ``max_bytes``, else as soon as more has arrived."""
    declared = request.headers.get("content-length")
    if declared is not None and DECIMAL.fullmatch(declared) and int(declared) > max_bytes:
        raise too_large
    return _limited(request.stream(), max_bytes, too_large)


async def _limited(
    stream: AsyncGenerator[bytes, None], max_bytes: int, too_large: Exception
) -> AsyncGenerator[bytes, None]:
    received = 0
    async for chunk in stream:
        received += len(chunk)
        if received > max_bytes:
            raise too_large
        yield chunk


def _too_large(max_bytes: int) -> MultipartError:
    return MultipartError(
        f"the multipart request body is over {max_bytes} bytes (ACCORD_MEDIA_MAX_UPLOAD_BYTES for the "
        "files, ACCORD_MAX_BODY_BYTES for the rest)",
        too_large=True,
    )


def _json_field(form: FormData, name: str) -> Any:
    value = form.get(name)
    if value is None:
        raise MultipartError(f"the multipart request has no {name!r} field (see the GraphQL multipart spec)")
    if not isinstance(value, str):
        raise MultipartError(f"{name!r} must be a form field, not a file")
    try:
        data = orjson.loads(value)
        check_json(data, name)
    except orjson.JSONDecodeError:
        raise MultipartError(f"{name!r} is not valid JSON") from None
    except BadParams as exc:
        raise MultipartError(str(exc)) from None
    return data


def _structure(form: FormData) -> MultipartRequest:
    operations = _json_field(form, "operations")
    mapping = _json_field(form, "map")
    batch = isinstance(operations, list)
    if not batch and not isinstance(operations, dict):
        raise MultipartError("'operations' must be a JSON object, or a list of them for a batch")
    if not isinstance(mapping, dict):
        raise MultipartError("'map' must be a JSON object: file field name -> list of operations paths")
    uploads = [Upload(copy.deepcopy(item)) for item in (operations if batch else [operations])]
    files = {name: value for name, value in form.multi_items() if name not in ("operations", "map")}
    paths = 0
    for name, targets in mapping.items():
        file = files.get(name)
        if not isinstance(file, UploadFile):
            raise MultipartError(
                f"'map' names the file field {name[:64]!r}, which the request does not carry"
            )
        if not isinstance(targets, list) or not targets:
            raise MultipartError(f"'map' must give file {name[:64]!r} a list of operations paths")
        for target in targets:
            paths += 1
            if paths > MAX_PATHS:
                raise MultipartError(f"'map' holds more than {MAX_PATHS} operations paths")
            index, path = _parse_path(target, batch, len(uploads))
            _check_target(uploads[index].request, path, target)
            uploads[index].files.append((path, file))
    for name in files:
        if name not in mapping:
            raise MultipartError(f"the file field {name[:64]!r} is not in 'map'")
    return MultipartRequest(uploads, batch, form)


def _parse_path(target: Any, batch: bool, operations: int) -> tuple[int, Path]:
    """(operation index, path inside it) of an operations path such as ``0.variables.files.1``."""
    if not isinstance(target, str) or not target:
        raise MultipartError("an operations path is a string such as 'variables.file'")
    parts = target.split(".")
    index = 0
    if batch:
        head = parts.pop(0)
        if not DECIMAL.fullmatch(head) or int(head) >= operations:
            raise MultipartError(f"operations path {target[:200]!r}: no operation {head[:20]!r} in the batch")
        index = int(head)
    if len(parts) < 2 or parts[0] != "variables":
        raise MultipartError(f"operations path {target[:200]!r}: files go into variables ('variables.NAME')")
    path: list[str | int] = [int(part) if DECIMAL.fullmatch(part) else part for part in parts]
    return index, tuple(path)


def _check_target(request: Any, path: Sequence[str | int], target: str) -> None:
    """The path leads to a null placeholder in the operation (only its containers are walked)."""
    node = request
    for part in path:
        if isinstance(node, dict) and str(part) in node:
            node = node[str(part)]
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            raise MultipartError(f"operations path {target[:200]!r} leads nowhere in 'operations'")
    if node is not None:
        raise MultipartError(f"operations path {target[:200]!r} must lead to a null, the file's place")


def with_files(variables: dict[str, Any] | None, files: Sequence[tuple[Path, UploadFile]]) -> dict[str, Any]:
    """The variables with each file put in its place (a copy: the checked request keeps its nulls)."""
    filled = copy.deepcopy(variables) if variables else {}
    for path, file in files:
        node: Any = filled
        for part in path[1:-1]:  # path[0] is "variables"
            node = node[part if isinstance(node, list) else str(part)]
        last = path[-1]
        node[last if isinstance(node, list) else str(last)] = file
    return filled
