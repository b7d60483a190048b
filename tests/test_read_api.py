"""Every Query of the contract over real HTTP with the gql client, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from gql.transport.exceptions import TransportQueryError

from tests.harness.clients import errors_of, post, query
from tests.harness.server import LiveServer

EVENT_FIELDS = "id slug title date { iso label precision } endDate { iso } kind isMilestone"


def titles(connection: dict[str, Any]) -> list[str]:
    return [edge["node"]["title"] for edge in connection["edges"]]


def test_events_default_order_and_count(seeded_server: LiveServer) -> None:
    data = query(
        seeded_server, "{ events { totalCount edges { node { date { iso } } } pageInfo { hasNextPage } } }"
    )
    events = data["events"]
    assert events["totalCount"] == 12
    isos = [edge["node"]["date"]["iso"] for edge in events["edges"]]
    assert isos == sorted(isos) and isos[0] == "1972" and isos[-1] == "2015-08"
    assert events["pageInfo"]["hasNextPage"] is False
    newest = query(
        seeded_server, "{ events(orderBy: DATE_DESC, first: 1) { edges { node { date { iso } } } } }"
    )
    assert newest["events"]["edges"][0]["node"]["date"]["iso"] == "2015-08"


def test_lookups_by_slug_id_and_node(seeded_server: LiveServer) -> None:
    first = query(seeded_server, f"{{ events(first: 1) {{ edges {{ node {{ {EVENT_FIELDS} }} }} }} }}")
    event = first["events"]["edges"][0]["node"]
    by_slug = query(seeded_server, "query($s: String) { event(slug: $s) { id } }", {"s": event["slug"]})
    assert by_slug["event"]["id"] == event["id"]
    by_id = query(seeded_server, "query($id: ID) { event(id: $id) { slug } }", {"id": event["id"]})
    assert by_id["event"]["slug"] == event["slug"]
    node = query(
        seeded_server,
        "query($id: ID!) { node(id: $id) { __typename id ... on Event { slug } } }",
        {"id": event["id"]},
    )
    assert node["node"] == {"__typename": "Event", "id": event["id"], "slug": event["slug"]}
    assert query(seeded_server, '{ event(slug: "no-such-event") { id } }') == {"event": None}
    assert query(seeded_server, '{ partner(slug: "no-such") { id } }') == {"partner": None}
    # A well-formed id of a row that does not exist is simply not there.
    assert query(seeded_server, '{ node(id: "RXZlbnQ6OTk5OTk") { id } }') == {"node": None}


@pytest.mark.parametrize("bad_id", ["not-an-id", "RXZlbnQ6", "Zm9vOjE"])
def test_malformed_ids_are_bad_user_input(seeded_server: LiveServer, bad_id: str) -> None:
    response = post(seeded_server, "query($id: ID!) { node(id: $id) { id } }", {"id": bad_id})
    assert response.status_code == 200
    (error,) = errors_of(response)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "not an accord id" in error["message"]


def test_partner_page_with_agreements_and_events(seeded_server: LiveServer) -> None:
    data = query(
        seeded_server,
        """{ partner(slug: "us-customs-service") {
               name shortName kind country
               agreements { slug kind signedOn { year } parties { slug } }
               events(first: 1) {
                 totalCount edges { node { date { year } } } pageInfo { hasNextPage endCursor }
               }
           } }""",
    )
    partner = data["partner"]
    assert partner["kind"] == "CUSTOMS_ADMINISTRATION" and partner["country"] == "US"
    assert [a["kind"] for a in partner["agreements"]] == ["MUTUAL_ASSISTANCE"]
    assert {p["slug"] for p in partner["agreements"][0]["parties"]} >= {"us-customs-service"}
    events = partner["events"]
    assert events["totalCount"] == 2  # 1999 study missions and the 2001 agreement
    assert events["edges"][0]["node"]["date"]["year"] == 1999 and events["pageInfo"]["hasNextPage"]
    rest = query(
        seeded_server,
        """query($after: String) { partner(slug: "us-customs-service") {
             events(after: $after) { edges { node { date { year } } } } } }""",
        {"after": events["pageInfo"]["endCursor"]},
    )
    assert [e["node"]["date"]["year"] for e in rest["partner"]["events"]["edges"]] == [2001]


@pytest.mark.parametrize(
    ("event_filter", "expected_years"),
    [
        ({"partner": "wto"}, [2002, 2015]),
        ({"kind": "MEMBERSHIP"}, [1991, 2002]),
        ({"tag": "apec"}, [1991, 2009]),
        ({"yearFrom": 2014, "yearTo": 2014}, [2013]),  # the 2013-2015 period spans 2014
        ({"yearFrom": 2012, "yearTo": 2012}, [2012, 2012]),
        ({"text": "Single Window"}, [2011]),
        ({"text": "單一窗口"}, [2011]),
        ({"partner": "no-such-partner"}, []),
    ],
)
def test_event_filters(
    seeded_server: LiveServer, event_filter: dict[str, Any], expected_years: list[int]
) -> None:
    data = query(
        seeded_server,
        "query($f: EventFilter) { events(filter: $f) { totalCount edges { node { date { year } } } } }",
        {"f": event_filter},
    )
    assert [edge["node"]["date"]["year"] for edge in data["events"]["edges"]] == expected_years
    assert data["events"]["totalCount"] == len(expected_years)


def test_partner_events_with_filters(seeded_server: LiveServer) -> None:
    data = query(
        seeded_server,
        """{ partner(slug: "wto") {
             byPartner: events(filter: {partner: "wto"}) { totalCount }
             byOther: events(filter: {partner: "us-cbp"}) { totalCount }
             tagged: events(filter: {tag: "wto", text: "WTO"}) { totalCount } } }""",
    )
    assert data["partner"]["byPartner"]["totalCount"] == 2
    assert data["partner"]["byOther"]["totalCount"] == 0
    assert data["partner"]["tagged"]["totalCount"] >= 1


def test_milestones_only(seeded_server: LiveServer) -> None:
    every = query(seeded_server, "{ events { edges { node { isMilestone } } } }")
    milestones = query(seeded_server, "{ events(filter: {milestonesOnly: true}) { totalCount } }")
    expected = sum(edge["node"]["isMilestone"] for edge in every["events"]["edges"])
    assert 0 < milestones["events"]["totalCount"] == expected < 12


def test_partners_agreements_exhibits_lists(seeded_server: LiveServer) -> None:
    data = query(
        seeded_server,
        """{
          partners(first: 100) { totalCount edges { node { name } } }
          reversed: partners(orderBy: NAME_DESC, first: 1) { edges { node { name } } }
          committees: partners(filter: {kind: COMMITTEE}) { totalCount }
          us: partners(filter: {country: "us"}) { totalCount }
          mras: agreements(filter: {kind: MUTUAL_RECOGNITION}) { totalCount }
          withCbp: agreements(filter: {partner: "us-cbp"}) { edges { node { signedOn { year } } } }
          signed2012: agreements(filter: {yearFrom: 2012, yearTo: 2012}) { totalCount }
          exhibits { totalCount edges { node { kind title description origin { slug } events { slug } } } }
          uniforms: exhibits(filter: {kind: UNIFORM}) { totalCount }
        }""",
    )
    names = [edge["node"]["name"] for edge in data["partners"]["edges"]]
    assert names == sorted(names) and data["partners"]["totalCount"] == len(names)
    assert data["reversed"]["edges"][0]["node"]["name"] == names[-1]
    assert data["committees"]["totalCount"] >= 4
    assert data["us"]["totalCount"] == 2
    assert data["mras"]["totalCount"] == 4
    assert [e["node"]["signedOn"]["year"] for e in data["withCbp"]["edges"]] == [2012]
    assert data["signed2012"]["totalCount"] == 2
    assert data["exhibits"]["totalCount"] == 3 and data["uniforms"]["totalCount"] == 1


def test_event_with_everything_linked(seeded_server: LiveServer) -> None:
    data = query(
        seeded_server,
        """{ events(filter: {yearFrom: 2001, yearTo: 2001}) { edges { node {
             title summary places tags kind isMilestone status publishedAt updatedAt
             partners { slug } agreements { slug kind parties { slug } events { slug } exhibits { slug } }
             exhibits { slug }
        } } } }""",
    )
    (edge,) = data["events"]["edges"]
    event = edge["node"]
    assert event["kind"] == "AGREEMENT_SIGNING" and event["isMilestone"] and event["status"] == "PUBLISHED"
    assert "mutual assistance" in event["summary"].lower()
    assert {"taiwan-customs", "us-customs-service"} <= {p["slug"] for p in event["partners"]}
    (agreement,) = event["agreements"]
    assert agreement["kind"] == "MUTUAL_ASSISTANCE"
    assert {p["slug"] for p in agreement["parties"]} == {"taiwan-customs", "us-customs-service"}
    assert event["publishedAt"].endswith(("Z", "+00:00"))


def test_localization(seeded_server: LiveServer) -> None:
    document = """{ events(filter: {yearFrom: 2015}) { edges { node {
        title date { label } en: title(locale: EN) zh: title(locale: ZH_TW) places(locale: ZH_TW)
    } } } }"""
    english = query(seeded_server, document)["events"]["edges"]
    chinese = query(seeded_server, document, headers={"Accept-Language": "zh-TW,zh;q=0.9,en;q=0.5"})[
        "events"
    ]["edges"]
    period, tfa = english[0]["node"], english[1]["node"]
    assert period["date"]["label"] == "2013 to 2015"
    assert tfa["date"]["label"] == "August 2015"
    assert tfa["title"] == tfa["en"] != tfa["zh"]
    assert chinese[0]["node"]["date"]["label"] == "2013年至2015年"
    assert chinese[1]["node"]["date"]["label"] == "2015年8月"
    assert chinese[1]["node"]["title"] == tfa["zh"]
    for header in ("zh-Hant", "zh", "zh-hant-TW"):
        hant = query(seeded_server, document, headers={"Accept-Language": header})["events"]["edges"]
        assert hant[1]["node"]["title"] == tfa["zh"], header
    assert (
        query(seeded_server, document, headers={"Accept-Language": "fr, en;q=0.5"})["events"]["edges"][1][
            "node"
        ]["title"]
        == tfa["en"]
    )


def test_search_in_both_languages(seeded_server: LiveServer) -> None:
    doc = """query($q: String!, $n: Int) { search(query: $q, first: $n) {
        __typename ... on Partner { slug } ... on Event { slug }
        ... on Agreement { slug } ... on Exhibit { slug } } }"""
    apec = query(seeded_server, doc, {"q": "APEC"})["search"]
    assert apec[0] == {"__typename": "Partner", "slug": "apec"} or apec[0]["__typename"] == "Partner"
    assert {hit["__typename"] for hit in apec} >= {"Partner", "Event"}
    mra = query(seeded_server, doc, {"q": "相互承認"})["search"]
    assert {hit["__typename"] for hit in mra} >= {"Agreement"}
    customs = query(seeded_server, doc, {"q": "海關", "n": 5})[
        "search"
    ]  # two characters: below the trigram size
    assert len(customs) == 5
    uniforms = query(seeded_server, doc, {"q": "uniforms"})["search"]
    assert uniforms[0]["__typename"] == "Exhibit"
    assert query(seeded_server, doc, {"q": "zzzqqq"})["search"] == []
    assert len(query(seeded_server, doc, {"q": "customs"})["search"]) == 20


def test_search_bad_input(seeded_server: LiveServer) -> None:
    for variables in ({"q": "   "}, {"q": "x" * 500}, {"q": "wto", "n": 1000}):
        response = post(
            seeded_server,
            "query($q: String!, $n: Int) { search(query: $q, first: $n) { __typename } }",
            variables,
        )
        (error,) = errors_of(response)
        assert error["extensions"]["code"] == "BAD_USER_INPUT", variables


def test_timeline(seeded_server: LiveServer) -> None:
    groups = query(seeded_server, "{ timeline { year events { slug } } }")["timeline"]
    years = [group["year"] for group in groups]
    assert years == sorted(years) and years[0] == 1972
    assert len(next(g for g in groups if g["year"] == 2012)["events"]) == 2
    assert sum(len(group["events"]) for group in groups) == 12
    window = query(seeded_server, "{ timeline(yearFrom: 2009, yearTo: 2011) { year } }")["timeline"]
    assert [group["year"] for group in window] == [2009, 2011]


def test_pagination_both_ways(seeded_server: LiveServer) -> None:
    doc = """query($first: Int, $after: String, $last: Int, $before: String) {
      events(first: $first, after: $after, last: $last, before: $before) {
        edges { cursor node { slug } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }"""
    every = [e["node"]["slug"] for e in query(seeded_server, doc, {"first": 100})["events"]["edges"]]
    page1 = query(seeded_server, doc, {"first": 5})["events"]
    assert [e["node"]["slug"] for e in page1["edges"]] == every[:5]
    assert page1["pageInfo"]["hasNextPage"] and not page1["pageInfo"]["hasPreviousPage"]
    page2 = query(seeded_server, doc, {"first": 5, "after": page1["pageInfo"]["endCursor"]})["events"]
    assert [e["node"]["slug"] for e in page2["edges"]] == every[5:10]
    assert page2["pageInfo"]["hasPreviousPage"]
    tail = query(seeded_server, doc, {"last": 3})["events"]
    assert [e["node"]["slug"] for e in tail["edges"]] == every[-3:]
    assert tail["pageInfo"]["hasPreviousPage"] and not tail["pageInfo"]["hasNextPage"]
    back = query(seeded_server, doc, {"last": 2, "before": page2["pageInfo"]["startCursor"]})["events"]
    assert [e["node"]["slug"] for e in back["edges"]] == every[3:5]


@pytest.mark.parametrize(
    ("arguments", "fragment"),
    [
        ("first: 101", "at most 100"),
        ("first: -1", "must not be negative"),
        ('after: "garbage"', "not a valid cursor"),
        ('after: "WyJldisiLFtudWxsLDFdXQ"', "not a valid cursor"),  # ["ev+",[null,1]]
        ('after: "WyJldisiLFt0cnVlLDFdXQ"', "not a valid cursor"),  # ["ev+",[true,1]]
        ('after: "WyJldisiLFsiMSIsMV1d"', "not a valid cursor"),  # ["ev+",["1",1]]
        ("first: 1, last: 1", "first or last"),
    ],
)
def test_bad_pagination_is_bad_user_input(seeded_server: LiveServer, arguments: str, fragment: str) -> None:
    response = post(seeded_server, f"{{ events({arguments}) {{ totalCount }} }}")
    (error,) = errors_of(response)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert fragment in error["message"]


def test_first_zero_still_tells_whether_there_is_more(seeded_server: LiveServer) -> None:
    data = query(
        seeded_server, "{ events(first: 0) { edges { cursor } pageInfo { hasNextPage } totalCount } }"
    )
    assert data["events"] == {"edges": [], "pageInfo": {"hasNextPage": True}, "totalCount": 12}


def test_a_cursor_of_another_order_is_refused(seeded_server: LiveServer) -> None:
    cursor = query(seeded_server, "{ events(first: 1) { pageInfo { endCursor } } }")["events"]["pageInfo"][
        "endCursor"
    ]
    with pytest.raises(TransportQueryError):
        query(
            seeded_server,
            "query($c: String) { events(orderBy: DATE_DESC, after: $c) { totalCount } }",
            {"c": cursor},
        )


def test_a_cursor_of_another_list_is_refused(seeded_server: LiveServer) -> None:
    cursor = query(seeded_server, "{ partners(first: 1) { pageInfo { endCursor } } }")["partners"][
        "pageInfo"
    ]["endCursor"]
    with pytest.raises(TransportQueryError) as raised:
        query(seeded_server, "query($c: String) { events(after: $c) { totalCount } }", {"c": cursor})
    assert raised.value.errors and raised.value.errors[0]["extensions"]["code"] == "BAD_USER_INPUT"


def test_impossible_year_range(seeded_server: LiveServer) -> None:
    for document in (
        "{ events(filter: {yearFrom: 2015, yearTo: 2001}) { totalCount } }",
        "{ timeline(yearFrom: 2015, yearTo: 2001) { year } }",
    ):
        (error,) = errors_of(post(seeded_server, document))
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert "impossible year range" in error["message"]
