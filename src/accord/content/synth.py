"""Deterministic synthetic content at scale, for benchmarks and load tests.

The same arguments always give the same records (a seeded ``random.Random``, no clock), so two
databases, or two services, loaded from it hold identical rows.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from accord.content.document import (
    DOCUMENT_TYPE,
    RECORD_TYPES,
    ContentDocument,
    DateRecord,
    LocalizedPlace,
    LocalizedText,
    LocalizedTitle,
)
from accord.models.enums import AgreementKind, EventKind, ExhibitKind, PartnerKind, Status

WORDS_EN = [
    "customs",
    "cooperation",
    "trade",
    "facilitation",
    "border",
    "security",
    "mutual",
    "assistance",
    "recognition",
    "single",
    "window",
    "clearance",
    "origin",
    "valuation",
    "tariff",
    "statistics",
    "smuggling",
    "enforcement",
    "exchange",
    "workshop",
    "regional",
    "bilateral",
    "international",
    "forum",
    "committee",
    "negotiation",
    "capacity",
    "building",
    "authorized",
    "economic",
    "operator",
    "supply",
    "chain",
    "risk",
    "management",
    "electronic",
    "data",
    "harmonized",
    "nomenclature",
]
CHARS_ZH = list(
    "關務合作貿易便捷化邊境安全相互協助承認單一窗口通關原產地估價關稅統計走私查緝交流研討區域雙邊國際論壇委員會談判能力建構優質企業供應鏈風險管理電子資料調和"
)
COUNTRIES = ["TW", "US", "JP", "KR", "SG", "IL", "PH", "VN", "MY", "AU", "NZ", "CA", "GB", "FR", "DE", "NL"]
PLACES = [
    ("Taipei", "臺北"),
    ("Kaohsiung", "高雄"),
    ("Tokyo", "東京"),
    ("Seoul", "首爾"),
    ("Singapore", "新加坡"),
    ("Brussels", "布魯塞爾"),
    ("Geneva", "日內瓦"),
    ("Lima", "利馬"),
    ("Manila", "馬尼拉"),
]
TAGS = [
    "apec",
    "wto",
    "aeo",
    "mra",
    "trade-facilitation",
    "workshop",
    "single-window",
    "rfid",
    "enforcement",
    "capacity-building",
    "bilateral",
    "regional",
]
EPOCH = datetime(2020, 1, 1, tzinfo=UTC)
# Partners, agreements and exhibits are published, created and last edited at EPOCH.
AT_EPOCH = dict.fromkeys(("published_at", "created_at", "updated_at"), EPOCH)
# Built with model_construct (see synthesize), so typed loosely: the record types are made at run time.
PartnerRecord: Any = RECORD_TYPES["Partner"]
AgreementRecord: Any = RECORD_TYPES["Agreement"]
ExhibitRecord: Any = RECORD_TYPES["Exhibit"]
EventRecord: Any = RECORD_TYPES["Event"]
Document: Any = DOCUMENT_TYPE
PARTNER_KINDS, AGREEMENT_KINDS = list(PartnerKind), list(AgreementKind)
EXHIBIT_KINDS, EVENT_KINDS = list(ExhibitKind), list(EventKind)


def _en(rng: random.Random, low: int, high: int) -> str:
    return " ".join(rng.choices(WORDS_EN, k=rng.randint(low, high))).capitalize()


def _zh(rng: random.Random, low: int, high: int) -> str:
    return "".join(rng.choices(CHARS_ZH, k=rng.randint(low, high)))


def synthesize(
    *,
    events: int,
    partners: int,
    agreements: int | None = None,
    exhibits: int | None = None,
    seed: int = 20240601,
) -> ContentDocument:
    agreements = max(2, events * 3 // 10) if agreements is None else agreements
    exhibits = max(2, events // 10) if exhibits is None else exhibits
    if partners < 3 or agreements < 2 or exhibits < 2:
        raise ValueError("need at least 3 partners, 2 agreements and 2 exhibits")
    rng = random.Random(seed)  # noqa: S311  (reproducible test content, not secrets)

    partner_records = [
        PartnerRecord.model_construct(
            slug=f"synth-partner-{i:06d}",
            name=LocalizedTitle.model_construct(
                en=f"{_en(rng, 1, 3)} {i}", zh_tw=_zh(rng, 3, 8) + "海關" if rng.random() < 0.95 else None
            ),
            short_name=f"SP{i}" if rng.random() < 0.8 else None,
            kind=rng.choice(PARTNER_KINDS),
            country=rng.choice(COUNTRIES) if rng.random() < 0.97 else None,
            **AT_EPOCH,
        )
        for i in range(1, partners + 1)
    ]
    agreement_records = [
        AgreementRecord.model_construct(
            slug=f"synth-agreement-{i:06d}",
            title=LocalizedTitle.model_construct(
                en=f"Agreement on {_en(rng, 2, 5).lower()}", zh_tw="關於" + _zh(rng, 4, 10) + "的協定"
            ),
            summary=LocalizedText.model_construct(en=_en(rng, 10, 25) + ".", zh_tw=_zh(rng, 15, 40) + "。"),
            kind=rng.choice(AGREEMENT_KINDS),
            signed_on=DateRecord.model_construct(year=rng.randint(1990, 2024))
            if rng.random() < 0.95
            else None,
            parties=[partner_records[p].slug for p in sorted(rng.sample(range(partners), 2))],
            **AT_EPOCH,
        )
        for i in range(1, agreements + 1)
    ]
    exhibit_records = [
        ExhibitRecord.model_construct(
            slug=f"synth-exhibit-{i:06d}",
            title=LocalizedTitle.model_construct(en=_en(rng, 2, 6), zh_tw=_zh(rng, 3, 9)),
            description=LocalizedText.model_construct(
                en=_en(rng, 10, 30) + ".", zh_tw=_zh(rng, 15, 50) + "。"
            ),
            kind=rng.choice(EXHIBIT_KINDS),
            origin=partner_records[rng.randrange(partners)].slug if rng.random() < 0.5 else None,
            **AT_EPOCH,
        )
        for i in range(1, exhibits + 1)
    ]
    event_records = []
    for i in range(1, events + 1):
        year, month = rng.randint(1980, 2024), rng.randint(1, 12)
        day = rng.randint(1, 28) if rng.random() < 0.9 else None
        draft = rng.random() < 0.1
        published = datetime(year, month, day or 1, 9, tzinfo=UTC) + timedelta(seconds=i)
        place = rng.choice(PLACES)
        event_records.append(
            EventRecord.model_construct(
                slug=f"synth-event-{i:06d}",
                title=LocalizedTitle.model_construct(en=_en(rng, 3, 8), zh_tw=_zh(rng, 5, 14)),
                summary=LocalizedText.model_construct(
                    en=_en(rng, 20, 45) + ".", zh_tw=_zh(rng, 30, 80) + "。"
                ),
                date=DateRecord.model_construct(year=year, month=month, day=day),
                kind=rng.choice(EVENT_KINDS),
                milestone=rng.random() < 0.1,
                places=[LocalizedPlace.model_construct(en=place[0], zh_tw=place[1])],
                tags=sorted(rng.sample(TAGS, rng.randint(0, 3))),
                partners=[
                    partner_records[p].slug for p in sorted(rng.sample(range(partners), rng.randint(1, 3)))
                ],
                agreements=[
                    agreement_records[a].slug
                    for a in sorted(rng.sample(range(agreements), rng.randint(0, 2)))
                ],
                exhibits=[
                    exhibit_records[x].slug for x in sorted(rng.sample(range(exhibits), rng.randint(0, 2)))
                ],
                status=Status.DRAFT if draft else Status.PUBLISHED,
                published_at=None if draft else published,
                created_at=published,
                updated_at=published,
            )
        )
    # Built with model_construct: the generator only makes valid values, and validating 100k
    # records would take longer than loading them.
    return Document.model_construct(  # type: ignore[no-any-return]
        partners=partner_records, agreements=agreement_records, exhibits=exhibit_records, events=event_records
    )
