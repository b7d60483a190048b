"""The content exchange format: fixtures, exports and imports share one document shape."""
