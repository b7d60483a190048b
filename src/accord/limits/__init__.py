"""Abuse limits: depth, aliases, tokens, directives and a cost budget, refused before execution."""
