"""A compiled path for reads: answers supported queries without graphql-core's per-field machinery.

The general executor stays the reference: anything the fast path does not know (introspection,
unions, interfaces, mutations, a field it has no builder for, any error) makes it step aside, and
the tests compare both paths answer for answer.
"""
