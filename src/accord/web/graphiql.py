"""The GraphiQL page, opening with an example query."""

from __future__ import annotations

from importlib.resources import files

from accord.feeds.links import alternate_links_html

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


def graphiql_html(public_url: str | None = None) -> str:
    """The page; with ``public_url``, its <head> links to the milestone feeds (rel=alternate)."""
    template = (files("accord.web") / "templates" / "graphiql.html").read_text(encoding="utf-8")
    example = EXAMPLE_QUERY.replace("\\", "\\\\").replace("`", "\\`").replace("${", "\\${")
    feed_links = "" if public_url is None else alternate_links_html(public_url).replace("\n", "\n    ")
    return template.replace("__FEED_LINKS__", feed_links).replace("__EXAMPLE_QUERY__", example)
