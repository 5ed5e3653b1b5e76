"""Helpers shared by the test suite: the PostgreSQL under test, scratch databases, live servers."""
