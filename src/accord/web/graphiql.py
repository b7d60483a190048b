"""The GraphiQL page, opening with an example query."""

from __future__ import annotations

from importlib.resources import files

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


def graphiql_html() -> str:
    template = (files("accord.web") / "templates" / "graphiql.html").read_text(encoding="utf-8")
    example = EXAMPLE_QUERY.replace("\\", "\\\\").replace("`", "\\`").replace("${", "\\${")
    return template.replace("__EXAMPLE_QUERY__", example)
