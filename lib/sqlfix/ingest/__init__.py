"""Ingest: platform query logs and catalog table definitions into the bronze lake tables."""
