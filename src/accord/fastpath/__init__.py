"""A compiled path for reads: lists, lookups and the timeline answered by SQL that builds their JSON.

strawberry stays the reference: anything the compiled path does not know (introspection, unions,
interfaces, mutations, a field SQL does not build, any error) makes it step aside, and the tests
compare both paths answer for answer.
"""
