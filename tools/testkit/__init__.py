"""Helpers shared by the repository's tests: real local processes, tools, schemas."""
