"""The docs test's own rules (tests/harness/doc_examples.py, docs/README.md): what it pairs, what it
refuses and what it forgives, on small pages written here, so that a wrong doc example is sure to
fail the docs test."""

from __future__ import annotations

from pathlib import Path

from tests.harness.doc_examples import (
    Bindings,
    body_mismatches,
    find_examples,
    http_mismatches,
    lines_mismatch,
)

FENCE = "```"


def page(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "page.md"
    path.write_text(text.replace("~~~", FENCE))
    return path


def test_requests_pair_with_the_next_response(tmp_path: Path) -> None:
    found = find_examples(
        page(
            tmp_path,
            """
~~~sh
curl -s http://127.0.0.1:8000/graphql -d '{}'
~~~

Prose between is fine.

~~~json
{"data": null}
~~~

~~~graphql
query A($n: Int) { events(first: $n) { totalCount } }
# variables: {"n": 1}
~~~

~~~json
{"data": {"events": {"totalCount": 12}}}
~~~

<!-- variables: {"n": 2} -->
~~~json
{"data": {"events": {"totalCount": 12}}}
~~~

~~~graphql
type NotRun { x: Int }
~~~

~~~js
console.log("free");
~~~
""",
        )
    )
    assert found.errors == []
    assert [(e.request.kind, e.response.kind, e.variables) for e in found.examples] == [
        ("sh", "json", None),
        ("graphql", "json", None),
        ("graphql", "json", {"n": 2}),
    ]


def test_unpaired_blocks_are_refused_unless_marked(tmp_path: Path) -> None:
    found = find_examples(
        page(
            tmp_path,
            """
~~~sh
curl -s http://127.0.0.1:8000/healthz
~~~

~~~js
x
~~~

~~~json
{"orphan": true}
~~~

<!-- not run: a stream -->
~~~sh
curl -N http://127.0.0.1:8000/feeds/milestones/stream
~~~

<!-- not run: a log line -->
~~~json
{"level": "INFO"}
~~~

<!-- not run: -->
~~~json
{}
~~~
""",
        )
    )
    assert found.examples == []
    assert [error.split(": ", 1)[1] for error in found.errors] == [
        "a curl request with no response after it",
        "a json block with no request before it (add one, or mark it <!-- not run: why -->)",
        "say why: <!-- not run: REASON -->",
    ]


def test_a_query_block_must_be_its_file(tmp_path: Path) -> None:
    queries = tmp_path / "queries"
    queries.mkdir()
    (queries / "one.graphql").write_text("{ events { totalCount } }\n")
    text = "File: [`queries/one.graphql`](queries/one.graphql)\n\n~~~graphql\n{ events { x } }\n~~~\n"
    assert find_examples(page(tmp_path, text), queries).errors == [
        "page.md:3: differs from queries/one.graphql"
    ]


def test_json_is_compared_exactly_but_for_what_the_rules_forgive() -> None:
    def differs(expected: str, actual: str) -> list[str]:
        return body_mismatches(expected, actual, Bindings())

    assert differs('{"data": {"a": 1}}', '{"data": {"a": 1}, "extensions": {"cost": 3}}') == []
    assert differs('{"data": {"a": 1}}', '{"data": {"a": 2}}') == ["$.data.a: expected 1, got 2"]
    assert differs('{"data": {"a": 1}}', '{"data": {"a": 1, "b": 2}}') == [
        "$.data: not in the example: ['b']"
    ]
    assert differs('{"data": {"a": 1, ...}}', '{"data": {"a": 1, "b": 2}}') == []
    assert differs('{"l": [1, ..., 4]}', '{"l": [1, 2, 3, 4]}') == []
    assert differs('{"l": [1, ..., 4]}', '{"l": [1, 2, 3, 5]}') != []
    assert differs('{"l": [1, 2]}', '{"l": [2, 1]}') != []  # order matters
    assert differs('{"s": "..."}', '{"s": {"any": "thing"}}') == []
    assert differs('{"s": "In August 2015, ..."}', '{"s": "In August 2015, Taiwan presented"}') == []
    assert differs('{"s": "In May 2015, ..."}', '{"s": "In August 2015, Taiwan presented"}') != []
    assert differs('{"n": 1}', '{"n": true}') != []
    assert differs('{"a": 1}\n{"b": 2}', '{"a": 1}{"b": 2}') == []
    assert differs('{"a": 1}\n{"b": 2}', '{"a": 1}') == ["expected 2 JSON documents, got 1"]
    assert differs('{"extensions": {"cost": 3}}', '{"extensions": {"cost": 4}}') != []


def test_volatile_values_match_their_shape_consistently() -> None:
    bindings = Bindings()
    shown = '{"at": "2026-11-26T01:44:18.447160+00:00", "again": "2026-11-26T01:44:18.447160+00:00"}'
    given = '{"at": "2026-11-29T10:00:00.000001+00:00", "again": "2026-11-29T10:00:00.000001+00:00"}'
    assert body_mismatches(shown, given, bindings) == []
    # The same shown value must stay the same actual value within the page...
    later = '{"at": "2026-11-29T10:00:05.000001+00:00"}'
    assert body_mismatches('{"at": "2026-11-26T01:44:18.447160+00:00"}', later, bindings) != []
    # ... and a different shown value must be a different actual value.
    assert (
        body_mismatches('{"at": "2026-11-26T09:09:09.000000+00:00"}', given.split(",")[0] + "}", bindings)
        != []
    )
    # A request repeating a shown value sends the actual one.
    assert bindings.substitute("expected: 2026-11-26T01:44:18.447160+00:00") == (
        "expected: 2026-11-29T10:00:00.000001+00:00"
    )
    assert (
        body_mismatches('{"id": "RXZlbnQ6MTM"}', '{"id": "RXZlbnQ6MTQ"}', Bindings()) != []
    )  # ids are exact


def test_http_examples_check_status_shown_headers_and_body() -> None:
    actual = (
        "HTTP/1.1 200 OK\r\ndate: Sun, 29 Nov 2026 23:00:43 GMT\r\n"
        'etag: "b35b25fecdefa7b468591cb51e31cb55"\r\n'
        'cache-control: public, max-age=5\r\n\r\n{"data":{"x":1},"extensions":{"cost":1}}'
    )
    ok = (
        'HTTP/1.1 200 OK\netag: "0123456789abcdef0123456789abcdef"\n'
        'cache-control: public, max-age=5\n\n{"data":{"x":1}}'
    )
    assert http_mismatches(ok, actual, Bindings()) == []
    wrong_header = "HTTP/1.1 200 OK\ncache-control: no-cache\n"
    assert http_mismatches(wrong_header, actual, Bindings()) == [
        "header cache-control: expected 'no-cache', got ['public, max-age=5']"
    ]
    missing = "HTTP/1.1 200 OK\nvary: Accept\n"
    assert http_mismatches(missing, actual, Bindings()) == ["header vary: expected 'Accept', got none"]
    assert http_mismatches("HTTP/1.1 404 Not Found\n", actual, Bindings()) == [
        "status: expected 'HTTP/1.1 404 Not Found', got 'HTTP/1.1 200 OK'"
    ]
    assert http_mismatches('HTTP/1.1 200 OK\n\n{"data":{"x":2}}', actual, Bindings()) == [
        "$.data.x: expected 2, got 1"
    ]


def test_text_lines_with_ellipses() -> None:
    assert lines_mismatch("a\n...\nd", "a\nb\nc\nd\n", Bindings()) is None
    assert lines_mismatch("a\n...\nd", "a\nb\nc\n", Bindings()) is not None
    assert lines_mismatch("304", "200\n", Bindings()) is not None
