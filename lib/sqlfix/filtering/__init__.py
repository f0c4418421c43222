"""Execution filter: judge SQL with Spark's own parser and analyzer, never by running it."""
