"""Choosing the text of a localized field."""

from __future__ import annotations

from accord.models.enums import Locale


def pick(en: str | None, zh: str | None, locale: Locale) -> str:
    """The requested language, falling back to English where the translation is missing."""
    if locale is Locale.ZH_TW and zh:
        return zh
    return en or ""


# The tags accord writes for its locales (feeds' ``language``, ``?locale=`` in links).
LANGUAGE_TAGS = {Locale.EN: "en", Locale.ZH_TW: "zh-TW"}
ALLOWED_TAGS = " or ".join(LANGUAGE_TAGS.values())


def locale_of_tag(tag: str) -> Locale | None:
    """The locale a language tag asks for, on every surface (``?locale=``, ``Accept-Language``):
    zh-TW, zh-Hant, zh-HK, zh-MO and plain zh ask for Traditional Chinese, en and en-* for English;
    None for a language accord does not have."""
    tag = tag.strip().lower()
    if tag == "zh" or tag.startswith(("zh-tw", "zh-hant", "zh-hk", "zh-mo")):
        return Locale.ZH_TW
    if tag == "en" or tag.startswith("en-"):
        return Locale.EN
    return None


def locale_from_accept_language(header: str | None) -> Locale:
    """zh-TW, zh-Hant and plain zh ask for Traditional Chinese; anything else gets English.

    The first language the client ranks highest wins (q-values respected); languages accord does
    not have are skipped rather than answered in English at once.
    """
    if not header:
        return Locale.EN
    choices: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, *params = part.split(";")
        quality = 1.0
        for param in params:
            name, _, value = param.strip().partition("=")
            if name.lower() == "q":
                quality = _quality(value)
        if tag.strip() and quality > 0:
            choices.append((-quality, position, tag.strip().lower()))
    for _, _, tag in sorted(choices):
        found = locale_of_tag(tag)
        if found is not None:
            return found
    return Locale.EN


def _quality(value: str) -> float:
    """A q-value (RFC 9110: 0 to 1); anything else counts as 0, never as a number that sorts oddly."""
    try:
        quality = float(value)
    except ValueError:
        return 0.0
    return quality if 0.0 <= quality <= 1.0 else 0.0
