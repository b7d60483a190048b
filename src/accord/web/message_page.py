"""The small page that says why there is nothing to show (an unknown event, a refused preview
link): one template for both, in the timeline's style."""

from __future__ import annotations

from importlib.resources import files

TEMPLATE = (files("accord.web") / "templates" / "message.html").read_text(encoding="utf-8")


def message_page(*, html_lang: str, title: str, text: str, back: str, home: str, robots: str) -> str:
    """The page; ``title``, ``text`` and ``back`` are HTML already escaped by the caller (``text`` may
    hold markup of its own)."""
    return (
        TEMPLATE.replace("__LANG__", html_lang)
        .replace("__ROBOTS__", robots)
        .replace("__TITLE__", title)
        .replace("__TEXT__", text)
        .replace("__BACK__", back)
        .replace("__HOME__", home)
    )
