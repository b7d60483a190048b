"""Headless Chromium, driven by Playwright's Python package.

The browser is Debian's ``/usr/bin/chromium`` (``scripts/install-system-deps`` installs it), not one
of Playwright's own builds: ``playwright install`` downloads from hosts these machines cannot reach,
so it is never called. ``launch()`` gives every run a fresh temporary profile (Playwright makes
the user-data-dir itself and refuses ``--user-data-dir`` in ``args``), and every test a fresh
context: no cookies, storage or cache carried over.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    ViewportSize,
    WebSocket,
    sync_playwright,
)

CHROMIUM = Path(os.environ.get("ACCORD_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
DESKTOP: ViewportSize = {"width": 1280, "height": 900}


@contextmanager
def chromium() -> Iterator[Browser]:
    if not CHROMIUM.is_file():
        raise RuntimeError(f"no Chromium at {CHROMIUM}: run scripts/install-system-deps (make test does)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=list(CHROMIUM_ARGS), headless=True, timeout=60_000
        )
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class PageLog:
    """Everything a page asked the network for, and what went wrong in it."""

    requests: list[str] = field(default_factory=list)
    websockets: list[str] = field(default_factory=list)
    frames_received: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def attach(self, page: Page) -> None:
        page.on("request", lambda request: self.requests.append(request.url))
        page.on("websocket", self._websocket)
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(f"pageerror: {error}"))

    def _websocket(self, socket: WebSocket) -> None:
        self.websockets.append(socket.url)

        def received(payload: str | bytes) -> None:
            self.frames_received.append(payload if isinstance(payload, str) else payload.decode())

        socket.on("framereceived", received)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(f"console: {message.text}")

    def elsewhere(self, base_url: str) -> list[str]:
        """Requests and WebSockets to any host and port other than the server's."""
        server = urlsplit(base_url)
        foreign = []
        for url in [*self.requests, *self.websockets]:
            parts = urlsplit(url)
            if parts.scheme in ("data", "blob"):
                continue
            if parts.scheme not in ("http", "https", "ws", "wss") or parts.netloc != server.netloc:
                foreign.append(url)
        return foreign


@dataclass
class Tab:
    context: BrowserContext
    page: Page
    log: PageLog


@contextmanager
def open_tab(
    browser: Browser,
    *,
    viewport: ViewportSize | None = None,
    locale: str = "en-US",
    device_scale_factor: float = 1,
) -> Iterator[Tab]:
    context = browser.new_context(
        viewport=viewport or DESKTOP, locale=locale, device_scale_factor=device_scale_factor
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    log = PageLog()
    log.attach(page)
    try:
        yield Tab(context, page, log)
    finally:
        context.close()
