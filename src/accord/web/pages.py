"""The timeline page at ``/`` and the static files under ``/static`` (the page's own CSS and
JavaScript, and the vendored GraphiQL, React and React DOM that ``GET /graphql`` loads).

The page is rendered once, when the application is created: its template plus the feeds'
``<link rel="alternate">`` tags for ``ACCORD_PUBLIC_URL``. Everything else happens in the browser,
which talks to ``/graphql`` only (docs/frontend.md).
"""

from __future__ import annotations

import hashlib
import os
from importlib.resources import files
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from accord.feeds.links import alternate_links_html

# The page loads nothing from elsewhere; the browser enforces it. 'self' covers the WebSocket to
# the same host and port in current browsers.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)


def timeline_html(public_url: str) -> str:
    template = (files("accord.web") / "templates" / "timeline.html").read_text(encoding="utf-8")
    feed_links = alternate_links_html(public_url).replace("\n", "\n    ")
    return template.replace("__FEED_LINKS__", feed_links)


class TimelinePage:
    """``GET /``: the same bytes for every request, revalidated by ETag."""

    def __init__(self, public_url: str) -> None:
        self.body = timeline_html(public_url).encode()
        self.etag = '"' + hashlib.sha256(self.body).hexdigest()[:32] + '"'

    async def respond(self, request: Request) -> Response:
        headers = {
            "ETag": self.etag,
            "Cache-Control": "no-cache",
            "Content-Security-Policy": CONTENT_SECURITY_POLICY,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "same-origin",
        }
        if self.etag in request.headers.get("if-none-match", ""):
            return Response(status_code=304, headers=headers)
        return HTMLResponse(self.body, headers=headers)


class StaticAssets(StaticFiles):
    """The package's ``static/`` folder. ``no-cache``: browsers revalidate (ETag, 304) and so pick
    up a new release at once; the large vendored files are not downloaded again while unchanged."""

    def __init__(self) -> None:
        super().__init__(packages=[("accord.web", "static")])

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["Cache-Control"] = "no-cache"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response


def web_routes(public_url: str) -> list[BaseRoute]:
    """The timeline page and the static files, for the application's route list."""
    return [
        Route("/", TimelinePage(public_url).respond, methods=["GET"]),
        # Feed entries link to /events/SLUG: the page opens that event.
        Route("/events/{slug}", event_page, methods=["GET"]),
        Mount("/static", app=StaticAssets(), name="static"),
    ]


async def event_page(request: Request) -> Response:
    slug = request.path_params["slug"]
    return RedirectResponse(f"/?{urlencode({'event': slug})}", status_code=302)
