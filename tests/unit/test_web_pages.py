"""accord.web.pages: the page's ``?lang=`` is read as every other surface reads a language tag
(accord.core.locale), and the page names its languages for search engines."""

from __future__ import annotations

import pytest

from accord.web.pages import PAGE_LANGUAGES, hreflang_links_html, page_language, timeline_html


@pytest.mark.parametrize(
    ("value", "lang"),
    [
        ("en", "en"),
        ("en-GB", "en"),
        ("zh-TW", "zh-TW"),
        ("zh-tw", "zh-TW"),
        ("zh-Hant", "zh-TW"),
        ("zh", "zh-TW"),
        ("zh-HK", "zh-TW"),
        ("zh-CN", None),
        ("fr", None),
        ("", None),
        (None, None),
    ],
)
def test_lang_parameter(value: str | None, lang: str | None) -> None:
    assert page_language(value) == lang


def test_hreflang_alternates() -> None:
    links = hreflang_links_html("https://example.org/base/")
    assert links.splitlines() == [
        '<link rel="alternate" hreflang="en" href="https://example.org/base/?lang=en" />',
        '<link rel="alternate" hreflang="zh-TW" href="https://example.org/base/?lang=zh-TW" />',
        '<link rel="alternate" hreflang="x-default" href="https://example.org/base/" />',
    ]
    assert "&lt;" in hreflang_links_html("https://example.org/<x>")  # the address is escaped


@pytest.mark.parametrize(("lang", "html_lang"), list(PAGE_LANGUAGES.items()))
def test_the_page_starts_in_its_language(lang: str, html_lang: str) -> None:
    page = timeline_html("https://example.org", lang)
    assert f'<html lang="{html_lang}"' in page
    assert "__FEED_LINKS__" not in page
