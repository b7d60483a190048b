"""The timeline page and GraphiQL in a real browser: headless Chromium against `accord serve` over
the seed content. What the page shows is checked against what the API answers."""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.harness.browser import Tab, chromium, open_tab
from tests.harness.clients import PROJECT, post
from tests.harness.databases import seed, sqlite_url
from tests.harness.server import LiveServer, accord_env, live_server, run_accord
from tests.harness.tokens import bearer, create_token
from tests.harness.waiting import wait_until

pytestmark = pytest.mark.browser

# `ACCORD_UPDATE_SCREENSHOT=1 pytest tests/test_browser.py` also refreshes the README's picture.
DOCS_SCREENSHOT = PROJECT / "docs" / "screenshot.png"
EVENT_SLUGS = "() => [...document.querySelectorAll('#timeline li.event')].map((li) => li.dataset.slug)"


@dataclass
class Site:
    server: LiveServer
    editor: dict[str, str]

    @property
    def url(self) -> str:
        return self.server.url

    def data(self, document: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        body = post(self.server, document, variables).json()
        assert "errors" not in body, body
        data: dict[str, Any] = body["data"]
        return data

    def slugs(self, event_filter: dict[str, Any]) -> list[str]:
        document = "query($f: EventFilter) { events(filter: $f, first: 100) { edges { node { slug } } } }"
        return [edge["node"]["slug"] for edge in self.data(document, {"f": event_filter})["events"]["edges"]]

    def subscriptions(self) -> int:
        count: int = httpx.get(f"{self.url}/readyz", timeout=5).json()["live"]["subscriptions"]
        return count

    def publish_milestone(self, title: str, title_zh: str) -> dict[str, Any]:
        slug = f"browser-{datetime.now(UTC).strftime('%H%M%S%f')}"
        document = "mutation($input: EventInput!) { createEvent(input: $input) { id slug status } }"
        wto = self.data('{ partner(slug: "wto") { id } }')["partner"]["id"]
        variables = {
            "input": {
                "slug": slug,
                "title": {"en": title, "zhTw": title_zh},
                "summary": {"en": "Published while the page was open."},
                "date": {"year": 2026, "month": 3},
                "kind": "AGREEMENT_SIGNING",
                "isMilestone": True,
                "status": "PUBLISHED",
                "partnerIds": [wto],
                "tags": ["browser-test"],
            }
        }
        body = post(self.server, document, variables, headers=self.editor).json()
        assert "errors" not in body, body
        created: dict[str, Any] = body["data"]["createEvent"]
        assert created["status"] == "PUBLISHED"
        return created


def _site(tmp_path_factory: pytest.TempPathFactory, logs: Path, name: str) -> Iterator[Site]:
    url = sqlite_url(tmp_path_factory.mktemp(name))
    seed(url)
    with live_server(url, logs) as server:
        yield Site(server, bearer(create_token(server.env, f"{name}-editor")))


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, logs: Path) -> Iterator[Site]:
    """The seed content, read only."""
    yield from _site(tmp_path_factory, logs, "browser-site")


@pytest.fixture(scope="module")
def live_site(tmp_path_factory: pytest.TempPathFactory, logs: Path) -> Iterator[Site]:
    """The seed content, for the tests that publish milestones."""
    yield from _site(tmp_path_factory, logs, "browser-live")


@pytest.fixture(scope="module")
def big_site(tmp_path_factory: pytest.TempPathFactory, logs: Path) -> Iterator[Site]:
    """The seed content and 120 synthetic events: more than one page."""
    url = sqlite_url(tmp_path_factory.mktemp("browser-big"))
    seed(url)
    synth = run_accord("fixtures", "synth", "--events", "120", env=accord_env(url))
    assert synth.returncode == 0, synth.stderr
    with live_server(url, logs) as server:
        yield Site(server, {})


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def tab(browser: Browser) -> Iterator[Tab]:
    with open_tab(browser) as opened:
        yield opened


def open_timeline(tab: Tab, site: Site, path: str = "/") -> Page:
    page = tab.page
    page.goto(site.url + path)
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    expect(page.locator(".timeline")).to_have_attribute("aria-busy", "false")
    return page


def shown_slugs(page: Page) -> list[str]:
    slugs: list[str] = page.evaluate(EVENT_SLUGS)
    return slugs


def wait_for_slugs(page: Page, expected: list[str]) -> None:
    page.wait_for_function(
        f"(expected) => JSON.stringify(({EVENT_SLUGS})()) === JSON.stringify(expected)", arg=expected
    )


def assert_stayed_home(tab: Tab, site: Site) -> None:
    assert tab.log.elsewhere(site.url) == []
    assert tab.log.errors == []


def screenshot(page: Page, artifacts: Path, name: str, *, full_page: bool = False) -> Path:
    path = artifacts / f"browser-{name}.png"
    page.screenshot(path=path, full_page=full_page, animations="disabled")
    return path


# -- the timeline page ----------------------------------------------------------------------------


def test_the_page_is_served_with_its_feeds_and_a_strict_policy(site: Site) -> None:
    page = httpx.get(f"{site.url}/", timeout=10)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    head = page.text.split("</head>", 1)[0]
    # Three feeds, and the page in its two languages plus x-default (hreflang).
    assert head.count('rel="alternate" type=') == 3 and "/feeds/milestones.atom" in head
    assert head.count('rel="alternate" hreflang=') == 3
    assert httpx.get(f"{site.url}/", headers={"if-none-match": page.headers["etag"]}).status_code == 304
    script = httpx.get(f"{site.url}/static/js/timeline.js", timeout=10)
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    assert httpx.get(f"{site.url}/static/nothing-here.js", timeout=10).status_code == 404
    assert httpx.get(f"{site.url}/static/../pyproject.toml", timeout=10).status_code == 404


def test_the_timeline_shows_the_seed_grouped_by_year(tab: Tab, site: Site, artifacts: Path) -> None:
    timeline = site.data("{ timeline { year events { slug title } } }")["timeline"]
    page = open_timeline(tab, site)

    expect(page.locator("#timeline li.event")).to_have_count(12)
    years = page.locator("#timeline section.year").evaluate_all("(all) => all.map((s) => +s.dataset.year)")
    assert years == [group["year"] for group in timeline]
    assert years[0] == 1972 and years[-1] == 2015
    for group in timeline:
        section = page.locator(f'section.year[data-year="{group["year"]}"]')
        expect(section.locator("h3")).to_have_text(str(group["year"]))
        expect(section.locator("li.event .event__open")).to_have_text([e["title"] for e in group["events"]])
    expect(page.locator("#result-status")).to_have_text("12 events")

    # The document: language, title, headings, landmarks, labelled controls.
    assert page.evaluate("document.documentElement.lang") == "en"
    expect(page).to_have_title(re.compile("International cooperation timeline"))
    expect(page.get_by_role("heading", level=1)).to_have_text("International cooperation timeline")
    expect(page.get_by_role("main")).to_be_visible()
    expect(page.get_by_role("search")).to_be_visible()
    expect(page.get_by_label("Search events")).to_be_editable()
    expect(page.get_by_role("combobox", name="Partner")).to_have_value("")
    expect(page.locator("#announcer")).to_have_attribute("aria-live", "polite")

    path = screenshot(page, artifacts, "timeline-en", full_page=True)
    if os.environ.get("ACCORD_UPDATE_SCREENSHOT"):
        screenshot(page, artifacts, "readme")
        shutil.copyfile(artifacts / "browser-readme.png", DOCS_SCREENSHOT)
    assert path.stat().st_size > 10_000
    assert_stayed_home(tab, site)


def test_the_language_switch_shows_chinese(tab: Tab, site: Site, artifacts: Path) -> None:
    chinese = site.data("{ events(first: 100) { edges { node { title(locale: ZH_TW) } } } }")["events"]
    page = open_timeline(tab, site)

    page.get_by_role("button", name="繁體中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hant")
    expect(page.get_by_role("button", name="繁體中文")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#timeline .event__open")).to_have_text(
        [e["node"]["title"] for e in chinese["edges"]]
    )
    expect(page.locator("#timeline")).to_contain_text("海關")
    expect(page.get_by_role("heading", level=1)).to_have_text("國際合作時間軸")
    expect(page.locator('section.year[data-year="1972"] h3')).to_have_text("1972年")
    expect(page.get_by_label("搜尋事件")).to_be_visible()
    expect(page.get_by_role("combobox", name="合作夥伴")).to_contain_text("世界貿易組織")
    screenshot(page, artifacts, "timeline-zh")
    # The address names the language, so a shared link keeps it.
    expect(page).to_have_url(re.compile("[?&]lang=zh-TW"))

    # The choice is remembered.
    page.reload()
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hant")
    expect(page.locator("#timeline")).to_contain_text("海關")
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator('section.year[data-year="1972"] .event__open')).to_have_text(
        "Taxation and Customs Cooperation Conference in Taipei"
    )
    assert_stayed_home(tab, site)


def test_search_narrows_the_list(tab: Tab, site: Site) -> None:
    page = open_timeline(tab, site)
    apec = site.slugs({"text": "APEC"})
    assert "1991-taiwan-joins-apec" in apec and 0 < len(apec) < 12

    page.get_by_label("Search events").fill("APEC")
    wait_for_slugs(page, apec)
    expect(page.locator("#result-status")).to_have_text(f"{len(apec)} event" + ("s" if len(apec) > 1 else ""))
    expect(page).to_have_url(re.compile("[?&]q=APEC"))

    customs = site.slugs({"text": "海關"})
    page.get_by_label("Search events").fill("海關")
    page.get_by_label("Search events").press("Enter")
    wait_for_slugs(page, customs)

    page.get_by_label("Search events").fill("no such thing anywhere")
    wait_for_slugs(page, [])
    expect(page.locator("#result-status")).to_have_text("No events match. Try another word or partner.")

    page.get_by_role("button", name="Clear").click()
    expect(page.locator("#timeline li.event")).to_have_count(12)
    assert_stayed_home(tab, site)


def test_the_partner_filter_narrows_the_list(tab: Tab, site: Site) -> None:
    page = open_timeline(tab, site)
    wto = site.slugs({"partner": "wto"})
    assert 0 < len(wto) < 12

    page.get_by_role("combobox", name="Partner").select_option("wto")
    wait_for_slugs(page, wto)
    for item in page.locator("#timeline li.event").all():
        expect(item.locator(".event__partners")).to_contain_text("WTO")

    # Both together: the events of the partner that match the words.
    both = site.slugs({"partner": "wto", "text": "Acceptance"})
    page.get_by_label("Search events").fill("Acceptance")
    wait_for_slugs(page, both)
    assert len(both) < len(wto)

    # The filters are in the address: a reload (or a shared link) gives the same view.
    page.reload()
    wait_for_slugs(page, both)
    expect(page.get_by_role("combobox", name="Partner")).to_have_value("wto")
    assert_stayed_home(tab, site)


def test_an_event_opens_with_its_partners_and_agreements_from_the_keyboard(
    tab: Tab, site: Site, artifacts: Path
) -> None:
    slug = "2013-2015-aeo-mras-with-singapore-israel-korea"
    event = site.data(
        """query($slug: String!) { event(slug: $slug) {
          title partners { name shortName } agreements { title } exhibits { title } } }""",
        {"slug": slug},
    )["event"]
    page = open_timeline(tab, site)

    page.keyboard.press("Tab")
    expect(page.locator(".skip-link")).to_be_focused()
    opener = page.locator(f'li[data-slug="{slug}"] .event__open')
    opener.focus()
    expect(opener).to_be_focused()
    outline = opener.evaluate("(b) => getComputedStyle(b, '::after').outlineStyle")
    assert outline == "solid"  # the focus ring is visible
    page.keyboard.press("Enter")

    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("heading", level=2)).to_have_text(event["title"])
    partners = dialog.locator(".event-dialog__part--partners li")
    expect(partners).to_have_count(len(event["partners"]))
    expect(partners.first).to_contain_text("Taiwan Customs")
    agreements = dialog.locator(".event-dialog__part--agreements li strong")
    expect(agreements).to_have_text([a["title"] for a in event["agreements"]])
    expect(dialog.locator(".event-dialog__part--exhibits")).to_contain_text("None recorded")
    expect(page).to_have_url(re.compile(f"[?&]event={slug}"))
    screenshot(page, artifacts, "event-dialog")

    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(opener).to_be_focused()
    expect(page).not_to_have_url(re.compile("event="))

    # The same event from a shared link, in Chinese, opened with a click.
    page.goto(f"{site.url}/?event={slug}")
    expect(page.get_by_role("dialog").get_by_role("heading", level=2)).to_have_text(event["title"])
    page.get_by_role("button", name="Close").click()
    page.get_by_role("button", name="繁體中文").click()
    page.locator(f'li[data-slug="{slug}"] .event__open').click()
    expect(page.get_by_role("dialog").locator(".event-dialog__part--agreements")).to_contain_text("相互承認")
    assert_stayed_home(tab, site)


def test_the_page_fits_a_phone(browser: Browser, site: Site, artifacts: Path) -> None:
    with open_tab(browser, viewport={"width": 375, "height": 740}) as tab:
        page = open_timeline(tab, site)
        expect(page.locator("#timeline li.event")).to_have_count(12)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        screenshot(page, artifacts, "timeline-phone")
        assert_stayed_home(tab, site)


def test_more_events_than_a_page(tab: Tab, big_site: Site) -> None:
    everything = big_site.data("{ timeline { year events { slug } } }")["timeline"]
    total = sum(len(group["events"]) for group in everything)
    assert total > 100
    page = open_timeline(tab, big_site)
    expect(page.locator("#timeline li.event")).to_have_count(50)
    expect(page.locator("#result-status")).to_have_text(f"Showing 50 of {total} events")
    more = page.get_by_role("button", name="Show more events")
    more.click()
    expect(page.locator("#timeline li.event")).to_have_count(100)
    more.click()
    expect(page.locator("#timeline li.event")).to_have_count(total)
    expect(more).to_be_hidden()
    expect(page.locator("#result-status")).to_have_text(f"{total} events")
    # Pages that split a year still give one group per year, in the timeline's order.
    years = page.locator("#timeline section.year").evaluate_all("(all) => all.map((s) => +s.dataset.year)")
    assert years == [group["year"] for group in everything]
    assert shown_slugs(page) == [event["slug"] for group in everything for event in group["events"]]
    assert_stayed_home(tab, big_site)


def test_a_published_milestone_appears_without_a_reload(tab: Tab, live_site: Site, artifacts: Path) -> None:
    before = live_site.subscriptions()
    page = open_timeline(tab, live_site)
    _wait_until(lambda: live_site.subscriptions() > before, "the page's subscription reaches the server")
    page.evaluate("window.__sameDocument = true")
    expect(page.locator("#timeline li.event")).to_have_count(12)

    created = live_site.publish_milestone(
        "Milestone published during the browser test", "瀏覽器測試期間發布的里程碑"
    )
    published = time.monotonic()
    item = page.locator(f'li[data-slug="{created["slug"]}"]')
    expect(item).to_be_visible(timeout=5_000)
    appeared = time.monotonic() - published
    assert appeared < 3, f"the milestone took {appeared:.2f} s to appear"

    assert page.evaluate("window.__sameDocument") is True  # no reload
    expect(item.locator(".event__open")).to_have_text("Milestone published during the browser test")
    expect(item.locator(".badge--new")).to_have_text("New")
    expect(page.locator('section.year[data-year="2026"] h3')).to_have_text("2026")
    expect(page.locator("#timeline li.event")).to_have_count(13)
    expect(page.locator("#announcer")).to_have_text(
        "New milestone: Milestone published during the browser test (March 2026)"
    )
    expect(page.locator("#result-status")).to_have_text("13 events")
    item.scroll_into_view_if_needed()
    screenshot(page, artifacts, "live-milestone")

    # The banner opens it; its partner came along.
    page.locator("#new-banner").get_by_role("button", name="Details").click()
    expect(page.get_by_role("dialog").locator(".event-dialog__part--partners")).to_contain_text("World Trade")
    page.keyboard.press("Escape")

    # Filtered to another partner, a WTO milestone is left out; filtered to the WTO, the next one
    # arrives in the language of the page. Each filter change replaces the page's one subscription.
    page.get_by_role("button", name="繁體中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hant")
    partner = page.get_by_role("combobox", name="合作夥伴")
    partner.select_option("apec")
    wait_for_slugs(page, live_site.slugs({"partner": "apec"}))
    _wait_until(lambda: live_site.subscriptions() == before + 1, "one subscription, for APEC")
    elsewhere = live_site.publish_milestone("A WTO milestone", "世界貿易組織里程碑")
    # Something that must not happen has no signal: a delivery would have shown well within this.
    page.wait_for_timeout(1_000)
    expect(page.locator(f'li[data-slug="{elsewhere["slug"]}"]')).to_have_count(0)

    partner.select_option("wto")
    wait_for_slugs(page, live_site.slugs({"partner": "wto"}))
    assert elsewhere["slug"] in shown_slugs(page)
    _wait_until(lambda: live_site.subscriptions() == before + 1, "one subscription, for the WTO")
    second = live_site.publish_milestone("Second browser milestone", "第二個瀏覽器里程碑")
    expect(page.locator(f'li[data-slug="{second["slug"]}"] .event__open')).to_have_text("第二個瀏覽器里程碑")
    expect(page.locator("#announcer")).to_contain_text("新里程碑：第二個瀏覽器里程碑")
    assert page.evaluate("window.__sameDocument") is True
    assert_stayed_home(tab, live_site)


def _wait_until(condition: Any, what: str, timeout: float = 10) -> None:
    wait_until(condition, what, timeout=timeout)


# -- GraphiQL -------------------------------------------------------------------------------------


def open_graphiql(tab: Tab, site: Site) -> Page:
    page = tab.page
    page.goto(f"{site.url}/graphql")
    expect(page.locator(".graphiql-container")).to_be_visible(timeout=30_000)
    expect(page.locator(".graphiql-query-editor .CodeMirror")).to_be_visible()
    return page


def response_text(page: Page) -> str:
    text: str = page.locator(".graphiql-response").inner_text()
    return text


def test_graphiql_loads_offline_and_runs_an_example(tab: Tab, site: Site, artifacts: Path) -> None:
    page = open_graphiql(tab, site)
    tabs = page.locator(".graphiql-tab").all_inner_texts()
    for name in ("Timeline", "EventPage", "PartnerPage", "Search", "LiveMilestones", "CreateMilestone"):
        assert any(name in text for text in tabs), (name, tabs)
    expect(page.locator(".graphiql-editor-tool .CodeMirror").first).to_contain_text("yearFrom")

    page.locator(".graphiql-execute-button").click()
    page.wait_for_function(
        "() => document.querySelector('.graphiql-response').innerText.includes('AEO Mutual Recognition')"
    )
    assert "Taxation and Customs" not in response_text(page)  # the example's variables: 2012 to 2015
    screenshot(page, artifacts, "graphiql")

    # The mutation tab comes with the headers editor filled in for a token.
    page.locator(".graphiql-tab", has_text="CreateMilestone").click()
    page.get_by_role("button", name="Headers").click()
    expect(page.locator(".graphiql-editor-tool .CodeMirror").last).to_contain_text("Authorization")
    assert tab.log.elsewhere(site.url) == []
    assert [url for url in tab.log.requests if "/static/vendor/" in url]  # served by accord itself
    assert tab.log.errors == []


def test_graphiql_runs_a_subscription(tab: Tab, live_site: Site) -> None:
    page = open_graphiql(tab, live_site)
    before = live_site.subscriptions()
    page.locator(".graphiql-tab", has_text="LiveMilestones").click()
    expect(page.locator(".graphiql-query-editor .CodeMirror")).to_contain_text("subscription LiveMilestones")
    # GraphiQL reads the operation of the editor 100 ms after a change (a debounce); run it after that,
    # or it goes out as the previous tab's operation, over HTTP.
    page.wait_for_timeout(500)
    page.locator(".graphiql-execute-button").click()
    _wait_until(lambda: live_site.subscriptions() > before, "GraphiQL's subscription reaches the server")

    created = live_site.publish_milestone("Seen in GraphiQL", "於 GraphiQL 中看到")
    page.wait_for_function(
        "(slug) => document.querySelector('.graphiql-response').innerText.includes(slug)", arg=created["slug"]
    )
    assert "Seen in GraphiQL" in response_text(page)
    assert any(url.startswith("ws://") for url in tab.log.websockets)
    assert tab.log.elsewhere(live_site.url) == []
    assert tab.log.errors == []


def test_feed_links_open_the_event_on_the_page(site: Site) -> None:
    response = httpx.get(f"{site.server.url}/events/2011-single-window-workshops", follow_redirects=False)
    assert response.status_code == 302
    assert response.headers["location"] == "/?event=2011-single-window-workshops"


def test_a_shared_link_keeps_its_language(browser: Browser, site: Site) -> None:
    """A fresh browser (nothing stored) opening /?lang=zh-TW gets Chinese; switching rewrites the
    address, and a link with the event and the language opens both."""
    with open_tab(browser) as tab:
        page = open_timeline(tab, site, "/?lang=zh-TW")
        expect(page.locator("html")).to_have_attribute("lang", "zh-Hant")
        expect(page.get_by_role("heading", level=1)).to_have_text("國際合作時間軸")
        alternates = page.eval_on_selector_all(
            "link[hreflang]", "links => links.map(l => [l.hreflang, new URL(l.href).search])"
        )
        assert alternates == [["en", "?lang=en"], ["zh-TW", "?lang=zh-TW"], ["x-default", ""]]
        page.get_by_role("button", name="English").click()
        expect(page).to_have_url(re.compile("[?&]lang=en"))
        assert_stayed_home(tab, site)
    with open_tab(browser) as tab:
        page = open_timeline(tab, site, "/?lang=zh-TW&event=2002-taiwan-joins-wto")
        expect(page.locator("#event-dialog")).to_be_visible()
        expect(page.locator("#dialog-title")).to_have_text("臺灣加入世界貿易組織（WTO）")
        expect(page).to_have_url(re.compile("lang=zh-TW"))
        assert_stayed_home(tab, site)
