"""Alembic migrations of the wire-ingest schema."""
