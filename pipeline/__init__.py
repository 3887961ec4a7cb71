"""Pipeline stages as plain functions and the record types they exchange."""
