"""An editor's desk on a live server: tokens of each role and the writes the scheduling and
preview tests make, over HTTP (waits with deadlines: tests/harness/waiting.py)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx

from tests.harness.clients import post
from tests.harness.server import LiveServer
from tests.harness.tokens import bearer, create_token


def wait_past(moment: datetime) -> None:
    """Return once the clock has passed ``moment`` (a wait on the clock itself, not a guess)."""
    while (left := (moment - datetime.now(UTC)).total_seconds()) > 0:
        time.sleep(min(left, 0.1) + 0.001)


def soon(seconds: float) -> datetime:
    """A moment ``seconds`` from now, in whole milliseconds."""
    moment = datetime.now(UTC) + timedelta(seconds=seconds)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


TAIPEI = timezone(timedelta(hours=8))  # no daylight saving time


def taipei(moment: datetime) -> str:
    """The moment as an editor in Taipei writes it: +08:00."""
    return moment.astimezone(TAIPEI).isoformat()


@dataclass
class Desk:
    server: LiveServer
    tokens: dict[str, dict[str, str]] = field(default_factory=dict)

    @classmethod
    def open(cls, server: LiveServer, prefix: str = "desk") -> Desk:
        desk = cls(server)
        for role in ("editor", "admin", "preview"):
            desk.tokens[role] = bearer(create_token(server.env, f"{prefix}-{role}", role))
        return desk

    def call(self, document: str, variables: dict[str, Any] | None = None, role: str | None = None) -> Any:
        """The whole answer (data, errors, extensions)."""
        response = post(self.server, document, variables, headers=self.tokens.get(role or "", {}))
        assert response.status_code == 200, response.text
        return response.json()

    def data(self, document: str, variables: dict[str, Any] | None = None, role: str | None = None) -> Any:
        body = self.call(document, variables, role)
        assert "errors" not in body, body
        return body["data"]

    def error(self, document: str, variables: dict[str, Any] | None = None, role: str | None = None) -> Any:
        """The one error of an answer that must fail."""
        body = self.call(document, variables, role)
        assert body.get("errors"), body
        assert len(body["errors"]) == 1, body
        return body["errors"][0]

    def create_event(self, slug: str, *, milestone: bool = True, **more: Any) -> str:
        document = "mutation($input: EventInput!) { createEvent(input: $input) { id } }"
        variables = {
            "input": {
                "slug": slug,
                "title": {"en": f"Event {slug}", "zhTw": f"活動 {slug}"},
                "date": {"year": 2026, "month": 3},
                "kind": "AGREEMENT_SIGNING",
                "isMilestone": milestone,
                **more,
            }
        }
        event_id: str = self.data(document, variables, "editor")["createEvent"]["id"]
        return event_id

    def schedule(self, event_id: str, at: str, type_name: str = "Event") -> dict[str, Any]:
        document = (
            f"mutation($id: ID!, $at: DateTime) {{ publish{type_name}(id: $id, at: $at) "
            "{ id status scheduledAt updatedAt } }"
        )
        result: dict[str, Any] = self.data(document, {"id": event_id, "at": at}, "editor")[
            f"publish{type_name}"
        ]
        return result

    def event(self, slug: str, role: str | None = None) -> dict[str, Any] | None:
        document = (
            "query($slug: String) { event(slug: $slug) { id status publishedAt scheduledAt updatedAt } }"
        )
        found: dict[str, Any] | None = self.data(document, {"slug": slug}, role)["event"]
        return found

    def revisions(self, node_id: str) -> list[dict[str, Any]]:
        document = "query($id: ID!) { revisions(id: $id) { id action tokenName at after } }"
        found: list[dict[str, Any]] = self.data(document, {"id": node_id}, "editor")["revisions"]
        return found

    def get(self, path: str, **headers: str) -> httpx.Response:
        return httpx.get(f"{self.server.url}{path}", headers=headers, timeout=20)

    def subscribers(self) -> int:
        count: int = self.get("/readyz").json()["live"]["subscriptions"]
        return count
