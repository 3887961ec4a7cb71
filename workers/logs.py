"""Structured logs: one JSON object a line when stderr is not a terminal, readable lines when it is.

Every line carries the item, feed, task and stage it is about when known: from the `extra`
of the call (`log.info(..., extra={"item_id": ...})`) or, inside a Celery task, from the task
being run. Credentials in URLs are masked in every line, whatever logged them.
"""

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

from celery import current_task

CONTEXT = ("item_id", "feed_id", "task_id", "stage", "outcome", "reason", "task_name")
# user:password@ in any URL (redis://:secret@host, postgresql://wire:secret@db, …).
_URL_SECRET = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)(?P<user>[^:/@\s]*):[^@/\s]+@", re.I)
_HUMAN = "%(asctime)s %(levelname)s %(name)s %(message)s"


def redact(text: str) -> str:
    """The text with the password of every URL in it masked."""
    return _URL_SECRET.sub(r"\g<scheme>\g<user>:***@", text)


def _task_context() -> dict[str, Any]:
    # current_task is a proxy: falsy outside a task, the running task inside one.
    if not current_task or not getattr(current_task.request, "id", None):
        return {}
    return {"task_id": current_task.request.id, "task_name": current_task.name}


class JsonFormatter(logging.Formatter):
    """A log record as one JSON object: time, level, logger, message and the context fields."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as a JSON line."""
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
            **_task_context(),
        }
        entry.update({k: getattr(record, k) for k in CONTEXT if hasattr(record, k)})
        if record.exc_info:
            entry["exc"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, default=str, ensure_ascii=False)


class RedactingFormatter(logging.Formatter):
    """The human format, with the context fields appended and URL passwords masked."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as a readable line."""
        fields = {k: getattr(record, k) for k in CONTEXT if hasattr(record, k)}
        line = super().format(record)
        if fields:
            line += " " + " ".join(f"{k}={v}" for k, v in fields.items())
        return redact(line)


def formatter_for(stream: TextIO) -> logging.Formatter:
    """JSON for files, pipes and log collectors; readable lines for a terminal."""
    isatty = getattr(stream, "isatty", None)
    if isatty is not None and isatty():
        return RedactingFormatter(_HUMAN)
    return JsonFormatter()


def configure(level: str = "INFO", stream: TextIO | None = None) -> logging.Handler:
    """Send every log record (ours, Celery's, libraries') to stream in the chosen format."""
    out = stream or sys.stderr
    handler = logging.StreamHandler(out)
    handler.setFormatter(formatter_for(out))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    # httpx logs every request at INFO: a fleet's worth drowns the pipeline's own lines.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    return handler
