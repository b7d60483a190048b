"""Feeds of published content: RSS 2.0, Atom 1.0, JSON Feed 1.1 and an OPML list of them all.

Everything is read through the read resolvers (``accord.read``) with ``PUBLIC`` visibility, so
a feed shows exactly what an anonymous GraphQL reader sees; a request with a token gets what that
token sees, privately (``endpoints``). Modules:

- ``formats``: the three feed formats, their file extensions and media types;
- ``saved``: saved feeds, defined in the YAML file of ``ACCORD_FEEDS_FILE``;
- ``items``: loading feed entries from the resolvers;
- ``render``: RSS and Atom through feedgen, JSON Feed as a dict through orjson;
- ``opml``: the OPML 2.0 subscription list;
- ``caching``: ETag, Last-Modified and 304 answers;
- ``endpoints``: the Starlette routes;
- ``links``: ``<link rel="alternate">`` tags for HTML pages.

This module imports nothing heavy, so ``accord.settings`` can use ``accord.feeds.saved``.
"""
