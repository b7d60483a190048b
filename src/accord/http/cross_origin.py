"""Cross-origin requests from browsers (CORS), in front of every route.

Allowed origins: those of ``ACCORD_CORS_ORIGINS`` (``*`` for any), and in development also every
loopback origin (``http://localhost:5173``, ``http://127.0.0.1:3000``, ``http://[::1]:8080``), so a
frontend dev server works against ``accord serve`` without configuration. Starlette's
``CORSMiddleware`` answers allowed preflights and adds the headers to allowed requests.

A preflight that is refused gets 403 with a JSON body naming the origin, the method or the headers
at fault and the setting that decides (docs/security.md#cors). Browsers report any refused preflight
as an opaque CORS failure; the body is for the developer reading the network panel, and a plain 405
or 400 there explained nothing.
"""

from __future__ import annotations

import orjson
from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

LOOPBACK_ORIGINS = r"https?://(localhost|127\.0\.0\.1|\[::1\])(:[0-9]{1,5})?"
METHODS = ("GET", "POST")
HEADERS = ("Authorization", "Content-Type", "Accept", "Accept-Language", "X-Request-ID")
EXPOSED = ("ETag", "Retry-After", "X-Accord-Instance", "X-Request-ID")
MAX_AGE = 600
# An Origin header is echoed in the refusal; a longer one is cut (it is a browser's, at most a
# scheme, host and port).
SHOWN_ORIGIN = 200


class CrossOrigin:
    def __init__(self, app: ASGIApp, origins: list[str], allow_loopback: bool) -> None:
        self.app = app
        self.allow_loopback = allow_loopback
        self.cors = CORSMiddleware(
            app,
            allow_origins=origins,
            allow_origin_regex=LOOPBACK_ORIGINS if allow_loopback else None,
            allow_methods=METHODS,
            allow_headers=HEADERS,
            expose_headers=EXPOSED,
            max_age=MAX_AGE,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        if origin is None:
            await self.app(scope, receive, send)
            return
        if scope["method"] == "OPTIONS" and "access-control-request-method" in headers:
            refusal = self.refusal(origin, headers)
            if refusal is not None:
                await refusal(scope, receive, send)
                return
        await self.cors(scope, receive, send)

    def refusal(self, origin: str, headers: Headers) -> Response | None:
        """The answer to a preflight this server refuses, or None when it is allowed."""
        shown = origin[:SHOWN_ORIGIN]
        method = headers["access-control-request-method"].strip().upper()
        asked = [h.strip().lower() for h in headers.get("access-control-request-headers", "").split(",")]
        unknown = sorted({h for h in asked if h and h not in self.cors.allow_headers})
        if not self.cors.is_allowed_origin(origin):
            where = "ACCORD_CORS_ORIGINS"
            if self.allow_loopback:
                where += " (in development, loopback origins such as http://localhost:5173 are allowed too)"
            message = f"the origin {shown} may not call this API from a browser: it is not in {where}"
            code = "CORS_ORIGIN_NOT_ALLOWED"
        elif method not in METHODS:
            message = f"cross-origin {method[:20]} requests are not allowed: use GET or POST"
            code = "CORS_METHOD_NOT_ALLOWED"
        elif unknown:
            allowed = ", ".join(HEADERS)
            message = (
                f"request headers not allowed cross-origin: {', '.join(unknown)[:200]} (allowed: {allowed})"
            )
            code = "CORS_HEADERS_NOT_ALLOWED"
        else:
            return None
        body = {"errors": [{"message": message, "extensions": {"code": code}}]}
        return Response(
            orjson.dumps(body),
            status_code=403,
            media_type="application/json; charset=utf-8",
            headers={"Vary": "Origin"},
        )
