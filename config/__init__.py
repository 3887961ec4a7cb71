"""Configuration: one typed settings object and the default feed list."""
