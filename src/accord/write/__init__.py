"""Writes: validated, permission-checked, one transaction each, with revisions and the change log."""
