"""Structured logs: JSON lines with the item's context, readable lines on a terminal, no secrets."""

import io
import json
import logging

import pytest

from workers.logs import configure, redact


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def restore_root() -> object:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield root
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


def test_log_lines_are_json_with_item_feed_task_and_stage_when_not_a_terminal(
    restore_root: object,
) -> None:
    out = io.StringIO()
    configure("INFO", out)
    extra = {"item_id": "abc", "feed_id": 7, "task_id": "t-1", "stage": "fetch"}
    logging.getLogger("wire.stage").info("dropped %s", "http-404", extra=extra)
    line = json.loads(out.getvalue())
    assert line["message"] == "dropped http-404"
    assert (line["item_id"], line["feed_id"], line["task_id"], line["stage"]) == (
        "abc", 7, "t-1", "fetch",
    )  # fmt: skip
    assert line["level"] == "INFO"
    assert line["logger"] == "wire.stage"


def test_log_lines_are_readable_on_a_terminal(restore_root: object) -> None:
    out = Terminal()
    configure("INFO", out)
    logging.getLogger("wire.run").info("started", extra={"stage": "poll"})
    text = out.getvalue()
    assert "INFO wire.run started stage=poll" in text
    with pytest.raises(json.JSONDecodeError):
        json.loads(text)


def test_passwords_in_urls_never_reach_a_log_line(restore_root: object) -> None:
    out = io.StringIO()
    configure("INFO", out)
    log = logging.getLogger("wire.test")
    log.warning("cannot reach %s", "postgresql://wire:s3cret@db:5432/wire")
    try:
        raise ConnectionError("redis://:hunter2@redis:6379/0 refused")
    except ConnectionError:
        log.exception("broker down")
    text = out.getvalue()
    assert "s3cret" not in text
    assert "hunter2" not in text
    assert "postgresql://wire:***@db:5432/wire" in text


def test_redact_leaves_urls_without_a_password_alone() -> None:
    assert redact("GET http://example.com/a@b and redis://redis:6379/0") == (
        "GET http://example.com/a@b and redis://redis:6379/0"
    )
    assert redact("redis://:pw@h:1/0") == "redis://:***@h:1/0"
