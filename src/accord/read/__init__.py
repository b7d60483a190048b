"""Plain async functions over the database: what the GraphQL schema, the feeds and the tests call.

Nothing here imports strawberry. Functions take a session and keyword arguments and return rows
(SQLAlchemy ``Row`` objects with the table's columns as attributes).
"""
