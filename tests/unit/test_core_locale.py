"""accord.core.locale: the one parser of language tags, for ``?locale=``, ``?lang=`` and
Accept-Language on every surface, and the English fallback of localized text."""

from __future__ import annotations

import pytest

from accord.core.locale import ALLOWED_TAGS, LANGUAGE_TAGS, locale_from_accept_language, locale_of_tag, pick
from accord.models.enums import Locale

EN, ZH = Locale.EN, Locale.ZH_TW


@pytest.mark.parametrize(
    ("tag", "locale"),
    [
        ("zh-TW", ZH),
        ("zh-tw", ZH),
        ("ZH-TW", ZH),
        ("zh-Hant", ZH),
        ("zh-Hant-TW", ZH),
        ("zh-HK", ZH),
        ("zh-MO", ZH),
        ("zh", ZH),
        (" zh-TW ", ZH),
        ("en", EN),
        ("EN", EN),
        ("en-US", EN),
        ("en-GB", EN),
        # Simplified Chinese and languages accord does not have: no locale.
        ("zh-CN", None),
        ("zh-Hans", None),
        ("zh-SG", None),
        ("fr", None),
        ("english", None),
        ("eng", None),
        ("zhx", None),
        ("", None),
        ("*", None),
    ],
)
def test_locale_of_tag(tag: str, locale: Locale | None) -> None:
    assert locale_of_tag(tag) is locale


def test_the_tags_accord_writes_read_back_as_their_locale() -> None:
    for locale, tag in LANGUAGE_TAGS.items():
        assert locale_of_tag(tag) is locale
    assert ALLOWED_TAGS == "en or zh-TW"


@pytest.mark.parametrize(
    ("header", "locale"),
    [
        (None, EN),
        ("", EN),
        ("zh-TW", ZH),
        ("zh-Hant", ZH),
        ("zh", ZH),
        ("zh-CN", EN),  # docs/api.md: zh-CN and zh-Hans select English
        ("zh-Hans", EN),
        ("fr", EN),
        ("en-US,en;q=0.9", EN),
        # Languages accord does not have are skipped rather than answered in English at once.
        ("fr, zh;q=0.8", ZH),
        ("fr-CA,fr;q=0.9,zh-TW;q=0.5,en;q=0.3", ZH),
        # q-values rank the languages, whatever their order in the header.
        ("en;q=0.5, zh-TW", ZH),
        ("zh-TW;q=0.4, en;q=0.6", EN),
        ("zh-TW; q=0.9, en; q=0.8", ZH),
        # Equal weights: the first listed wins.
        ("zh, en", ZH),
        ("en, zh", EN),
        # q=0 means "not this one".
        ("zh-TW;q=0, en", EN),
        ("zh-TW;q=0", EN),
        # An unreadable weight counts as 0, and an empty part is skipped.
        ("zh-TW;q=high, en;q=0.1", EN),
        (",, ,zh", ZH),
        ("*", EN),
    ],
)
def test_accept_language(header: str | None, locale: Locale) -> None:
    assert locale_from_accept_language(header) is locale


def test_a_long_accept_language_header_is_read_in_one_pass() -> None:
    header = ", ".join(f"x{n};q=0.{n % 9 + 1}" for n in range(5_000)) + ", zh;q=0.05"
    assert locale_from_accept_language(header) is ZH


@pytest.mark.parametrize(
    ("en", "zh", "locale", "text"),
    [
        ("Customs", "海關", EN, "Customs"),
        ("Customs", "海關", ZH, "海關"),
        ("Customs", None, ZH, "Customs"),  # no translation: English
        ("Customs", "", ZH, "Customs"),  # an empty translation is no translation
        (None, "海關", EN, ""),
        (None, None, ZH, ""),
    ],
)
def test_pick_falls_back_to_english(en: str | None, zh: str | None, locale: Locale, text: str) -> None:
    assert pick(en, zh, locale) == text
