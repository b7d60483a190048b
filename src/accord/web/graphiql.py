"""The GraphiQL page (``GET /graphql`` in a browser).

GraphiQL, React and React DOM are served by accord itself from ``static/vendor/`` (versions and
licences in its README), so the page works without the internet. It opens with the operations of
``docs/queries/`` as ready-to-run tabs, plus a subscription to live milestones and the mutation
that publishes one (the headers editor takes the token); subscriptions run over graphql-ws.
"""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path
from typing import Any

from accord.feeds.links import alternate_links_html

# docs/queries/ of a source checkout (`make run`, editable installs). An installed wheel has no
# docs/, and then the page opens with EXAMPLE_QUERY and the live-milestone pair only.
DOCS_QUERIES = Path(__file__).resolve().parents[3] / "docs" / "queries"
# The tabs in reading order; other files in docs/queries/ follow in name order.
TAB_ORDER = (
    "timeline",
    "event-page",
    "partner-page",
    "search",
    "filter-events",
    "paginate-events",
    "localized",
    "node",
    "exhibit-images",
)
VARIABLES_PREFIX = "# variables:"

EXAMPLE_QUERY = """# accord: the international-cooperation timeline as GraphQL.
# Press the play button (Ctrl-Enter) to run; open the docs on the left to explore.
query Timeline {
  timeline {
    year
    events {
      title
      date { label }
      isMilestone
      partners { name shortName }
      agreements { title kind }
    }
  }
}
"""

LIVE_MILESTONES = """# Live milestones: run this tab, then publish a milestone from the CreateMilestone tab
# (or any other client). Each one appears below as it is published (docs/live.md).
subscription LiveMilestones($partner: String, $tag: String, $locale: Locale) {
  milestoneAdded(partner: $partner, tag: $tag) {
    id
    slug
    title(locale: $locale)
    date { label(locale: $locale) }
    publishedAt
    partners { slug name(locale: $locale) }
  }
}
"""

CREATE_MILESTONE = """# Publish a milestone (editors): put your token in the Headers tab below
# (`accord token create --name me --role editor`), then run. Subscribers see it at once.
mutation CreateMilestone($input: EventInput!) {
  createEvent(input: $input) {
    id
    slug
    status
    title
    date { label }
  }
}
"""

CREATE_MILESTONE_VARIABLES = {
    "input": {
        "title": {"en": "A new milestone", "zhTw": "新的里程碑"},
        "date": {"year": 2026},
        "kind": "OTHER",
        "isMilestone": True,
        "status": "PUBLISHED",
        "tags": [],
    }
}

TOKEN_HEADERS = {"Authorization": "Bearer acc_PUT_YOUR_EDITOR_TOKEN_HERE"}


def _tab(query: str, variables: Any = None, headers: Any = None) -> dict[str, str]:
    tab = {"query": query.rstrip() + "\n"}
    for name, value in (("variables", variables), ("headers", headers)):
        if value is not None:
            tab[name] = json.dumps(value, indent=2, ensure_ascii=False)
    return tab


def example_tab(text: str) -> dict[str, str]:
    """A docs/queries file as a tab: the operation, and its `# variables: {...}` line as variables."""
    lines = text.splitlines()
    variables = None
    for line in lines:
        if line.startswith(VARIABLES_PREFIX):
            variables = json.loads(line.removeprefix(VARIABLES_PREFIX))
    query = "\n".join(line for line in lines if not line.startswith(VARIABLES_PREFIX))
    return _tab(query, variables)


def example_tabs(directory: Path | None = DOCS_QUERIES) -> list[dict[str, str]]:
    """The tabs GraphiQL opens with, read once when accord starts."""
    paths = sorted(directory.glob("*.graphql")) if directory is not None and directory.is_dir() else []

    def position(path: Path) -> tuple[int, str]:
        name = path.stem
        return (TAB_ORDER.index(name) if name in TAB_ORDER else len(TAB_ORDER), name)

    tabs = [example_tab(path.read_text(encoding="utf-8")) for path in sorted(paths, key=position)]
    if not tabs:
        tabs = [_tab(EXAMPLE_QUERY)]
    tabs.append(_tab(LIVE_MILESTONES, {"partner": None, "tag": None, "locale": None}))
    tabs.append(_tab(CREATE_MILESTONE, CREATE_MILESTONE_VARIABLES, TOKEN_HEADERS))
    return tabs


def _script_json(value: Any) -> str:
    """JSON that is safe inside <script>: no '</script>' or '<!--' can close or confuse it."""
    text = json.dumps(value, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def graphiql_html(public_url: str | None = None, queries: Path | None = DOCS_QUERIES) -> str:
    """The page; with ``public_url``, its <head> links to the milestone feeds (rel=alternate)."""
    template = (files("accord.web") / "templates" / "graphiql.html").read_text(encoding="utf-8")
    feed_links = "" if public_url is None else alternate_links_html(public_url).replace("\n", "\n    ")
    config = _script_json({"defaultTabs": example_tabs(queries)})
    return template.replace("__FEED_LINKS__", feed_links).replace("__CONFIG__", config)
