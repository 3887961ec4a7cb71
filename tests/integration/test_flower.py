"""`wire flower` on the test broker sees the pipeline's tasks by name, behind basic auth."""

import base64
import contextlib
import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from tests.chaos.harness import free_port
from tests.chaos.sites import NewsSite, serve
from tests.e2e.conftest import Wire, wire_env

pytestmark = pytest.mark.e2e
CREDENTIALS = "operator:flower-test-pass"


def _get(url: str, auth: str | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url)
    if auth:
        request.add_header("Authorization", "Basic " + base64.b64encode(auth.encode()).decode())
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@contextlib.contextmanager
def _flower(env: dict[str, str], port: int, cwd: Path) -> Iterator[str]:
    argv = [sys.executable, "-m", "workers.cli", "flower", "--port", str(port)]
    proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                if _get(f"{base}/healthcheck")[0] == 200:
                    break
            time.sleep(0.3)
        yield base
    finally:
        proc.terminate()
        proc.wait(30)


def _tasks(base: str) -> dict[str, Any]:
    status, body = _get(f"{base}/api/tasks", CREDENTIALS)
    assert status == 200, body
    result: dict[str, Any] = json.loads(body)
    return result


def _stored(tasks: dict[str, Any]) -> int:
    return sum(t["name"] == "wire.store" and t["state"] == "SUCCESS" for t in tasks.values())


def test_flower_lists_each_stage_task_by_name_and_state_behind_basic_auth(
    redis_client: redis.Redis, redis_service: str, tmp_path: Path
) -> None:
    env = wire_env(redis_service, f"sqlite:///{tmp_path / 'wire.db'}", tmp_path / "var")
    # "Sent" events on: Flower then shows each task's queue (routing key) as well.
    env.update(FLOWER_BASIC_AUTH=CREDENTIALS, WIRE_FUSE_CPU_STAGES="false",
               WIRE_FETCH_HOST_RATE="0", WIRE_MIN_WORDS="20",
               WIRE_TASK_SENT_EVENTS="true")  # fmt: skip
    wire = Wire(env, tmp_path)
    with (
        serve(NewsSite(feeds=1, per_feed=3, poison={})) as site,
        _flower(env, free_port(), tmp_path) as base,
    ):
        assert _get(f"{base}/api/tasks")[0] == 401
        assert _get(f"{base}/")[0] == 401
        feeds = tmp_path / "feeds.txt"
        feeds.write_text("\n".join(site.feed_urls()) + "\n")
        result = wire("ingest", "--once", "--feeds", str(feeds))
        assert result.returncode == 0, result.stdout + result.stderr
        # Flower learns of tasks from their events, which may trail the run's end a little.
        deadline = time.monotonic() + 30
        while _stored(tasks := _tasks(base)) < 3 and time.monotonic() < deadline:
            time.sleep(0.5)
    by_name: dict[str, list[dict[str, Any]]] = {}
    for task in tasks.values():
        by_name.setdefault(task["name"], []).append(task)
    for stage in ("poll", "fetch", "clean", "dedup", "classify", "store"):
        found = by_name.get(f"wire.{stage}", [])
        assert found, f"wire.{stage} not in Flower: {sorted(by_name)}"
        assert all(t["state"] == "SUCCESS" for t in found), found
    assert len(by_name["wire.store"]) == 3
    assert all(t["args"] and t["routing_key"] == "store" for t in by_name["wire.store"])
