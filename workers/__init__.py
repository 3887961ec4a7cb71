"""Celery wiring of the pipeline: app, tasks, queues, beat and the `wire` command line."""
