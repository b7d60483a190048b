"""Executable documentation: the request/response examples of docs/*.md, found, run and compared.

The convention an example follows is written for the people who write docs in docs/README.md
("Examples that run"); this module is its one implementation. In short: a ```` ```sh ```` block
with ``curl``, or a ```` ```graphql ```` block with one operation (``# variables:`` and
``# headers:`` lines), is a request; the next ```` ```json ````, ```` ```http ```` or (after curl)
```` ```text ```` block is its response; ``<!-- variables: {...} -->`` runs the last operation
again; ``<!-- not run: why -->`` exempts a block. ``...`` trims; timestamps, ETags and HTTP dates
match any value of their shape, consistently within a document; ``http://127.0.0.1:8000`` is the
server the test started.
"""

from __future__ import annotations

import json
import re
import subprocess
import textwrap
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from markdown_it import MarkdownIt

DOCUMENTED_SERVER = "http://127.0.0.1:8000"
RESPONSE_KINDS = ("json", "http", "text")
MARKER = re.compile(r"<!--\s*(not run|variables|from)\s*:(.*?)-->", re.DOTALL)
REGION = "// docs:{} {}"
FILE_REFERENCE = re.compile(r"File: \[`queries/([\w.-]+\.graphql)`\]")


class Ellipsis_:
    """``...`` in an array: any number of elements (zero included)."""

    def __repr__(self) -> str:
        return "..."


class AnyValue:
    """The string ``"..."``: any value."""

    def __repr__(self) -> str:
        return '"..."'


ELLIPSIS = Ellipsis_()
ANY = AnyValue()


@dataclass
class Expected:
    """A JSON object of an example: its members, and whether ``...`` leaves others out."""

    members: dict[str, Any]
    open: bool = False


# -- volatile values ---------------------------------------------------------------------------------

# name -> (pattern, bound): a bound kind names one value per document (see the module docstring).
VOLATILE: dict[str, tuple[str, bool]] = {
    "timestamp": (r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?:Z|[+-]\d{2}:\d{2})", True),
    "etag": (r'"(?:[0-9a-f]{64}|[0-9a-f]{32})"', True),
    "http-date": (
        r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
        r" \d{4} \d{2}:\d{2}:\d{2} GMT",
        False,
    ),
}
VOLATILE_ANY = re.compile("|".join(f"(?P<{name.replace('-', '_')}>{p})" for name, (p, _) in VOLATILE.items()))


@dataclass
class Bindings:
    """Shown volatile value -> the value the server gave, and back, for one document."""

    shown: dict[str, str] = field(default_factory=dict)
    given: dict[str, str] = field(default_factory=dict)

    def copy(self) -> Bindings:
        return Bindings(dict(self.shown), dict(self.given))

    def restore(self, other: Bindings) -> None:
        self.shown, self.given = other.shown, other.given

    def substitute(self, text: str) -> str:
        """A request that repeats a shown value sends the value the server gave."""
        for shown, given in sorted(self.shown.items(), key=lambda item: -len(item[0])):
            text = text.replace(shown, given)
        return text


def text_matches(expected: str, actual: str, bindings: Bindings) -> bool:
    """``actual`` is ``expected`` but for volatile values of the same shape (bound ones consistent)."""
    pattern: list[str] = []
    groups: list[tuple[str, str]] = []
    position = 0
    for found in VOLATILE_ANY.finditer(expected):
        pattern.append(re.escape(expected[position : found.start()]))
        kind = next(name for name, value in found.groupdict().items() if value is not None)
        shown = found.group(0)
        bound = VOLATILE[kind.replace("_", "-")][1]
        if bound and shown in bindings.shown:
            pattern.append(re.escape(bindings.shown[shown]))
        else:
            group = f"v{len(groups)}"
            pattern.append(f"(?P<{group}>{VOLATILE[kind.replace('_', '-')][0]})")
            if bound:
                groups.append((group, shown))
        position = found.end()
    pattern.append(re.escape(expected[position:]))
    matched = re.fullmatch("".join(pattern), actual, re.DOTALL)
    if matched is None:
        return False
    for group, shown in groups:
        given = matched.group(group)
        if bindings.shown.get(shown, given) != given or bindings.given.get(given, shown) != shown:
            return False
        bindings.shown[shown] = given
        bindings.given[given] = shown
    return True


# -- JSON with ellipses ------------------------------------------------------------------------------


class ExpectedJSONError(ValueError):
    pass


class _Parser:
    """JSON, plus ``...`` / ``…`` as an object member or array element."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.at = 0
        self.decoder = json.JSONDecoder()

    def documents(self) -> list[Any]:
        values = []
        self._space()
        while self.at < len(self.text):
            values.append(self.value())
            self._space()
        return values

    def _space(self) -> None:
        while self.at < len(self.text) and self.text[self.at] in " \t\r\n":
            self.at += 1

    def _ellipsis(self) -> bool:
        for token in ("...", "…"):
            if self.text.startswith(token, self.at):
                self.at += len(token)
                return True
        return False

    def _expect(self, char: str) -> None:
        self._space()
        if not self.text.startswith(char, self.at):
            raise ExpectedJSONError(f"expected {char!r} at {self.at}: {self.text[self.at : self.at + 30]!r}")
        self.at += 1

    def value(self) -> Any:
        self._space()
        char = self.text[self.at : self.at + 1]
        if char == "{":
            return self._object()
        if char == "[":
            return self._array()
        if char == '"':
            string, self.at = self.decoder.raw_decode(self.text, self.at)
            return ANY if string in ("...", "…") else string
        try:
            value, self.at = self.decoder.raw_decode(self.text, self.at)
        except json.JSONDecodeError as error:
            raise ExpectedJSONError(
                f"not JSON at {self.at}: {self.text[self.at : self.at + 30]!r}"
            ) from error
        return value

    def _object(self) -> Expected:
        self._expect("{")
        result = Expected({})
        self._space()
        if self.text.startswith("}", self.at):
            self.at += 1
            return result
        while True:
            self._space()
            if self._ellipsis():
                result.open = True
                self._space()
                if not self.text.startswith((",", "}"), self.at):
                    continue  # a line "..." needs no comma after it
            else:
                key = self.value()
                if not isinstance(key, str):
                    raise ExpectedJSONError(f"object key expected at {self.at}")
                self._expect(":")
                result.members[key] = self.value()
            self._space()
            if self.text.startswith(",", self.at):
                self.at += 1
                continue
            self._expect("}")
            return result

    def _array(self) -> list[Any]:
        self._expect("[")
        items: list[Any] = []
        self._space()
        if self.text.startswith("]", self.at):
            self.at += 1
            return items
        while True:
            self._space()
            if self._ellipsis():
                items.append(ELLIPSIS)
                self._space()
                if not self.text.startswith((",", "]"), self.at):
                    continue
            else:
                items.append(self.value())
            self._space()
            if self.text.startswith(",", self.at):
                self.at += 1
                continue
            self._expect("]")
            return items


def parse_expected(text: str) -> list[Any]:
    """The JSON documents of an example (one or more, one after the other)."""
    return _Parser(text).documents()


def parse_actual(text: str) -> list[Any]:
    """The JSON documents a command printed, one after the other (curl adds no newline)."""
    decoder = json.JSONDecoder()
    values: list[Any] = []
    at = 0
    while True:
        while at < len(text) and text[at] in " \t\r\n":
            at += 1
        if at >= len(text):
            return values
        value, at = decoder.raw_decode(text, at)
        values.append(value)


def json_mismatches(expected: Any, actual: Any, bindings: Bindings, path: str = "$") -> list[str]:
    """Where ``actual`` differs from the example (empty: it matches)."""
    if expected is ANY:
        return []
    if isinstance(expected, Expected):
        if not isinstance(actual, dict):
            return [f"{path}: expected an object, got {_short(actual)}"]
        problems = []
        for key, value in expected.members.items():
            if key not in actual:
                problems.append(f"{path}: missing {key!r}")
            else:
                problems += json_mismatches(value, actual[key], bindings, f"{path}.{key}")
        if not expected.open:
            extra = set(actual) - set(expected.members)
            if re.fullmatch(r"\$[0-9]*", path) and "extensions" not in expected.members:
                extra.discard("extensions")  # the cost: compared only where an example shows it
            if extra:
                problems.append(f"{path}: not in the example: {sorted(extra)}")
        return problems
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return [f"{path}: expected a list, got {_short(actual)}"]
        if _sequence(expected, 0, actual, 0, bindings, path):
            return []
        if ELLIPSIS not in expected and len(expected) == len(actual):
            problems = []
            for index, (item, given) in enumerate(zip(expected, actual, strict=True)):
                problems += json_mismatches(item, given, bindings, f"{path}[{index}]")
            return problems
        return [f"{path}: the list differs: expected {expected!r}, got {_short(actual)}"]
    if isinstance(expected, str):
        if isinstance(actual, str) and expected.endswith(("...", "…")):
            start = expected.removesuffix("...").removesuffix("…")
            if text_matches(start, actual[: len(start)], bindings):
                return []  # a trimmed string: the beginning is shown
        elif isinstance(actual, str) and text_matches(expected, actual, bindings):
            return []
        return [f"{path}: expected {expected!r}, got {_short(actual)}"]
    if type(expected) is not type(actual) or expected != actual:
        return [f"{path}: expected {expected!r}, got {_short(actual)}"]
    return []


def _sequence(expected: list[Any], i: int, actual: list[Any], j: int, bindings: Bindings, path: str) -> bool:
    if i == len(expected):
        return j == len(actual)
    if expected[i] is ELLIPSIS:
        return any(_sequence(expected, i + 1, actual, k, bindings, path) for k in range(j, len(actual) + 1))
    if j == len(actual):
        return False
    saved = bindings.copy()
    if not json_mismatches(expected[i], actual[j], bindings, f"{path}[{j}]") and _sequence(
        expected, i + 1, actual, j + 1, bindings, path
    ):
        return True
    bindings.restore(saved)
    return False


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 300 else text[:300] + "..."


# -- text and HTTP -----------------------------------------------------------------------------------


def lines_mismatch(expected: str, actual: str, bindings: Bindings) -> str | None:
    """Line by line; a line ``...`` stands for any number of lines. None when they match."""
    wanted = [line.rstrip() for line in expected.strip("\n").splitlines()]
    given = [line.rstrip() for line in actual.strip("\n").splitlines()]

    def fits(i: int, j: int) -> bool:
        if i == len(wanted):
            return j == len(given)
        if wanted[i] in ("...", "…"):
            return any(fits(i + 1, k) for k in range(j, len(given) + 1))
        if j == len(given):
            return False
        saved = bindings.copy()
        if text_matches(wanted[i], given[j], bindings) and fits(i + 1, j + 1):
            return True
        bindings.restore(saved)
        return False

    return None if fits(0, 0) else "the output differs"


STATUS_LINE = re.compile(r"^HTTP/[0-9.]+ \d{3}\b.*$", re.MULTILINE)


@dataclass
class HTTPMessage:
    status: str
    headers: list[tuple[str, str]]
    body: str | None


def parse_http(text: str) -> list[HTTPMessage]:
    """``curl -i`` output (or an example of it): one message per status line."""
    text = text.replace("\r\n", "\n")
    starts = [found.start() for found in STATUS_LINE.finditer(text)]
    messages = []
    for index, start in enumerate(starts):
        end = starts[index + 1] if index + 1 < len(starts) else len(text)
        head, blank, body = text[start:end].partition("\n\n")
        status, *header_lines = head.split("\n")
        headers = []
        for line in header_lines:
            if not line.strip():
                continue
            name, _, value = line.partition(":")
            headers.append((name.strip().lower(), value.strip()))
        messages.append(HTTPMessage(status.strip(), headers, body if blank else None))
    return messages


def http_mismatches(expected_text: str, actual_text: str, bindings: Bindings) -> list[str]:
    expected, actual = parse_http(expected_text), parse_http(actual_text)
    if len(expected) != len(actual):
        return [f"expected {len(expected)} HTTP responses, got {len(actual)}"]
    problems = []
    for wanted, given in zip(expected, actual, strict=True):
        if wanted.status.split(" ", 2)[:2] != given.status.split(" ", 2)[:2]:
            problems.append(f"status: expected {wanted.status!r}, got {given.status!r}")
        for name, value in wanted.headers:
            values = [v for n, v in given.headers if n == name]
            if not any(text_matches(value, v, bindings) for v in values):
                problems.append(f"header {name}: expected {value!r}, got {values or 'none'}")
        if wanted.body is None or wanted.body.strip() == "":
            if wanted.body is not None and (given.body or "").strip():
                problems.append(f"expected an empty body, got {given.body!r}")
            continue
        problems += body_mismatches(wanted.body, given.body or "", bindings)
    return problems


def body_mismatches(expected: str, actual: str, bindings: Bindings) -> list[str]:
    try:
        wanted = parse_expected(expected)
    except (ExpectedJSONError, IndexError):
        problem = lines_mismatch(expected, actual, bindings)
        return [problem] if problem else []
    try:
        given = parse_actual(actual)
    except json.JSONDecodeError:
        return ["expected JSON, got text"]
    if len(wanted) != len(given):
        return [f"expected {len(wanted)} JSON documents, got {len(given)}"]
    problems = []
    for index, (item, value) in enumerate(zip(wanted, given, strict=True)):
        problems += json_mismatches(item, value, bindings, f"${index}" if len(wanted) > 1 else "$")
    return problems


# -- finding the examples ----------------------------------------------------------------------------


@dataclass
class Block:
    kind: str
    text: str
    line: int
    marker: tuple[str, str] | None = None
    file_reference: str | None = None


@dataclass
class Example:
    request: Block
    response: Block
    variables: dict[str, Any] | None = None
    """For a ``<!-- variables: -->`` example: the variables it runs the operation with."""


@dataclass
class DocExamples:
    path: Path
    examples: list[Example]
    errors: list[str]
    """Blocks that break the convention: a curl request without a response, a response without a
    request, a marker with bad JSON, a block that differs from the query file it names."""


def blocks(text: str) -> Iterator[Block]:
    tokens = MarkdownIt("commonmark").parse(text)
    marker: tuple[str, str] | None = None
    paragraph = ""
    for token in tokens:
        if token.type == "html_block":
            found = MARKER.search(token.content)
            marker = (found.group(1), found.group(2).strip()) if found else None
            continue
        if token.type == "inline":
            paragraph = token.content
        if token.type == "fence" and token.map is not None:
            reference = FILE_REFERENCE.search(paragraph)
            kind = token.info.strip().split(" ")[0]
            yield Block(
                kind, token.content, token.map[0] + 1, marker, reference.group(1) if reference else None
            )
            paragraph = ""
        if (
            token.type not in ("paragraph_open", "paragraph_close", "inline")
            or token.type == "paragraph_open"
        ):
            marker = None


def is_curl(block: Block) -> bool:
    return block.kind == "sh" and re.search(r"(^|[\s;|(])curl\s", block.text) is not None


def find_examples(path: Path, queries: Path | None = None) -> DocExamples:
    examples: list[Example] = []
    errors: list[str] = []
    pending: Block | None = None
    last_operation: Block | None = None
    where = path.name
    for block in blocks(path.read_text(encoding="utf-8")):
        if block.kind == "graphql" and block.file_reference and queries is not None:
            shown = (queries / block.file_reference).read_text(encoding="utf-8").strip()
            if block.text.strip() != shown:
                errors.append(f"{where}:{block.line}: differs from queries/{block.file_reference}")
        if block.marker is not None and block.marker[0] == "from":
            problem = region_differs(path.parent.parent, block)
            if problem:
                errors.append(f"{where}:{block.line}: {problem}")
            continue
        if block.marker is not None and block.marker[0] == "not run":
            if not block.marker[1]:
                errors.append(f"{where}:{block.line}: say why: <!-- not run: REASON -->")
            continue
        if block.kind in RESPONSE_KINDS:
            if block.marker is not None and block.marker[0] == "variables":
                try:
                    variables = json.loads(block.marker[1])
                except json.JSONDecodeError:
                    errors.append(f"{where}:{block.line}: <!-- variables: --> is not JSON")
                    continue
                if last_operation is None or block.kind != "json":
                    errors.append(
                        f"{where}:{block.line}: <!-- variables: --> needs a graphql block before it"
                    )
                    continue
                examples.append(Example(last_operation, block, variables))
            elif pending is not None and (block.kind != "text" or is_curl(pending)):
                examples.append(Example(pending, block))
            elif block.kind != "text":
                errors.append(
                    f"{where}:{block.line}: a {block.kind} block with no request before it "
                    "(add one, or mark it <!-- not run: why -->)"
                )
            pending = None
            continue
        if pending is not None and is_curl(pending):
            errors.append(f"{where}:{pending.line}: a curl request with no response after it")
        pending = None
        if is_curl(block):
            pending = block
        elif block.kind == "graphql":
            pending = block
            last_operation = block
    if pending is not None and is_curl(pending):
        errors.append(f"{where}:{pending.line}: a curl request with no response after it")
    return DocExamples(path, examples, errors)


def region(root: Path, reference: str) -> str | None:
    """The lines between ``// docs:begin NAME`` and ``// docs:end NAME`` of a file, dedented."""
    file, _, name = reference.partition("#")
    try:
        lines = (root / file).read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    # "// docs:begin NAME" in JavaScript and TypeScript, "# docs:begin NAME" in YAML.
    begin = {REGION.format("begin", name), REGION.format("begin", name).replace("//", "#", 1)}
    end = {REGION.format("end", name), REGION.format("end", name).replace("//", "#", 1)}
    starts = [index for index, line in enumerate(lines) if line.strip() in begin]
    ends = [index for index, line in enumerate(lines) if line.strip() in end]
    if len(starts) != 1 or len(ends) != 1 or ends[0] < starts[0]:
        return None
    return textwrap.dedent("\n".join(lines[starts[0] + 1 : ends[0]])).strip()


def region_differs(root: Path, block: Block) -> str | None:
    """``<!-- from: FILE#NAME -->``: the block must be that region of the (tested) file."""
    assert block.marker is not None
    reference = block.marker[1]
    shown = region(root, reference)
    if shown is None:
        return f"no region {reference} (// docs:begin NAME ... // docs:end NAME)"
    if shown != block.text.strip():
        return f"differs from {reference}"
    return None


# -- running them ------------------------------------------------------------------------------------


SHELL_VARIABLE = re.compile(r"\$\{?([A-Z_][A-Z0-9_]*)\}?")


def declared_line(operation: str, name: str = "variables") -> dict[str, Any] | None:
    """The JSON of an operation's ``# variables:`` (or ``# headers:``) comment line."""
    for line in operation.splitlines():
        if line.startswith(f"# {name}:"):
            value: dict[str, Any] = json.loads(line.removeprefix(f"# {name}:"))
            return value
    return None


@dataclass
class Runner:
    """Runs one document's examples, in order, against one live server."""

    server_url: str
    env: Mapping[str, str]
    cwd: Path
    bindings: Bindings = field(default_factory=Bindings)

    def localize(self, text: str) -> str:
        return text.replace(DOCUMENTED_SERVER, self.server_url)

    def output_of(self, example: Example) -> str:
        request = example.request
        if request.kind == "sh":
            script = self.bindings.substitute(self.localize(request.text))
            done = subprocess.run(
                ["bash", "-o", "pipefail", "-c", script],
                env=dict(self.env),
                cwd=self.cwd,
                capture_output=True,
                timeout=60,
                check=False,
            )
            if done.returncode != 0:
                raise RuntimeError(f"exit {done.returncode}: {done.stderr.decode(errors='replace')}")
            return done.stdout.decode("utf-8", errors="replace")
        variables = example.variables if example.variables is not None else declared_line(request.text)
        sent = json.dumps({"query": request.text, "variables": variables})
        body = json.loads(self.bindings.substitute(sent))
        headers = {
            name: SHELL_VARIABLE.sub(lambda found: self.env.get(found.group(1), ""), value)
            for name, value in (declared_line(request.text, "headers") or {}).items()
        }
        answer = httpx.post(f"{self.server_url}/graphql", json=body, headers=headers, timeout=60)
        return answer.text

    def check(self, example: Example) -> list[str]:
        output = self.output_of(example)
        expected = self.localize(example.response.text)
        kind = example.response.kind
        if kind == "http":
            return http_mismatches(expected, output, self.bindings)
        if kind == "text":
            problem = lines_mismatch(expected, output, self.bindings)
            return [problem] if problem else []
        return body_mismatches(expected, output, self.bindings)
