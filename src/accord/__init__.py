"""accord: a GraphQL content service for an international-cooperation timeline."""

__version__ = "0.1.0"
