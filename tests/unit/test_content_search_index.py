"""accord.content.search_index.bodies: the English and Chinese text a row is found by, from the
fields the content model marks as searchable, titles first."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from accord.content.model import AGREEMENT, EVENT, EXHIBIT, PARTNER
from accord.content.search_index import bodies


def row(**values: Any) -> SimpleNamespace:
    return SimpleNamespace(**values)


def test_event_bodies_hold_titles_summaries_and_places_in_order() -> None:
    event = row(
        title_en="AEO arrangement",
        title_zh="優質企業",
        summary_en="Signed in Taipei",
        summary_zh="於臺北簽署",
        places=[{"en": "Taipei", "zh_tw": "臺北"}, {"en": "Geneva"}],
    )
    assert bodies(EVENT, event) == (
        "AEO arrangement Signed in Taipei Taipei Geneva",
        "優質企業 於臺北簽署 臺北 Geneva",  # a place without a translation is found by its English name
    )


def test_missing_text_leaves_no_gaps() -> None:
    event = row(title_en="Only English", title_zh=None, summary_en="", summary_zh=None, places=[])
    assert bodies(EVENT, event) == ("Only English", "")


def test_partner_bodies_include_the_searchable_plain_fields() -> None:
    partner = row(
        name_en="World Trade Organization",
        name_zh="世界貿易組織",
        short_name="WTO",
        country="CH",
        website="https://www.wto.org/",
    )
    # shortName is searched in both languages, the country code in English only; the website not at all.
    assert bodies(PARTNER, partner) == ("World Trade Organization WTO CH", "世界貿易組織 WTO")
    bare = row(name_en="Forum", name_zh=None, short_name=None, country=None, website=None)
    assert bodies(PARTNER, bare) == ("Forum", "")


def test_agreement_and_exhibit_bodies() -> None:
    agreement = row(title_en="MRA", title_zh="相互承認", summary_en="AEO", summary_zh=None)
    assert bodies(AGREEMENT, agreement) == ("MRA AEO", "相互承認")
    exhibit = row(
        title_en="Uniform",
        title_zh="制服",
        description_en="Worn in 1972",
        description_zh="1972年",
        image_url="/images/uniform.jpg",
    )
    assert bodies(EXHIBIT, exhibit) == ("Uniform Worn in 1972", "制服 1972年")
