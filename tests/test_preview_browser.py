"""A preview link in a real browser (headless Chromium): the draft with its "Preview" banner, and
the 403 page for a link that was tampered with."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.harness.browser import chromium, open_tab
from tests.harness.databases import seed, sqlite_url
from tests.harness.desk import Desk, soon, taipei
from tests.harness.images import encode, marked
from tests.harness.server import live_server, run_accord
from tests.harness.uploads import multipart_upload, uploaded

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory, logs: Path) -> Iterator[Desk]:
    url = sqlite_url(tmp_path_factory.mktemp("preview-browser"))
    seed(url)
    with live_server(url, logs) as server:
        yield Desk.open(server, "browser-preview")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


def test_the_browser_shows_a_draft_with_the_preview_banner(
    desk: Desk, browser: Browser, artifacts: Path
) -> None:
    event_id = desk.create_event("ceremony-in-taipei", summary={"en": "Signed at 10:00 Taipei time."})
    desk.schedule(event_id, taipei(soon(86_400)))
    # A picture of the draft: not public yet, so the page loads it with the link's value.
    uploaded(
        multipart_upload(
            desk.server.graphql_url,
            encode(marked((800, 600)), "JPEG"),
            headers=desk.tokens["editor"],
            event_id=event_id,
            alt={"en": "The signing table"},
        )
    )
    # The command builds links on ACCORD_PUBLIC_URL, as the server does.
    env = {**desk.server.env, "ACCORD_PUBLIC_URL": desk.server.url}
    made = run_accord("preview", "link", "ceremony-in-taipei", env=env)
    assert made.returncode == 0, made.stderr
    link = made.stdout.strip().splitlines()[-1]
    assert link.startswith(f"{desk.server.url}/events/ceremony-in-taipei?preview=")
    with open_tab(browser) as tab:
        response = tab.page.goto(link)
        assert response is not None and response.status == 200
        assert response.headers["x-robots-tag"] == "noindex"
        assert response.headers["cache-control"] == "private, no-store"
        banner = tab.page.locator("#preview-banner")
        expect(banner).to_be_visible()
        expect(banner).to_contain_text("Preview")
        expect(banner).to_contain_text("This event is a draft")
        expect(banner).to_contain_text("scheduled to be published at")
        expect(tab.page.get_by_role("heading", level=1)).to_have_text("Event ceremony-in-taipei")
        expect(tab.page.locator(".event-preview")).to_contain_text("Signed at 10:00 Taipei time.")
        picture = tab.page.get_by_role("img", name="The signing table")
        expect(picture).to_be_visible()
        tab.page.wait_for_function("() => document.querySelector('.picture__img').complete")
        assert picture.evaluate("img => img.naturalWidth") > 0, "the draft's picture did not load"
        # The banner is drawn, not just present: it has a size and sits at the top of the page.
        box = banner.bounding_box()
        assert box is not None and box["height"] > 10 and box["y"] < 5
        tab.page.screenshot(path=str(artifacts / "preview-page.png"), full_page=True)
        assert tab.log.errors == []
        assert tab.log.elsewhere(desk.server.url) == []
    with open_tab(browser, locale="zh-TW") as tab:
        tab.page.goto(link)
        expect(tab.page.locator("#preview-banner")).to_contain_text("預覽")
        expect(tab.page.locator("html")).to_have_attribute("lang", "zh-Hant")
    with open_tab(browser) as tab:
        response = tab.page.goto(link[:-2] + ("xx" if not link.endswith("xx") else "yy"))
        assert response is not None and response.status == 403
        expect(tab.page.get_by_role("heading", level=1)).to_have_text("Preview link not valid")
        expect(tab.page.locator("#preview-banner")).to_have_count(0)
