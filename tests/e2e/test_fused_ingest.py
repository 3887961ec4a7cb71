"""The fused CPU task and the per-stage tasks store the same rows from the same feeds."""

from pathlib import Path
from typing import Any

import pytest
import redis
from sqlalchemy import select

from pipeline.db import make_engine, session_factory
from pipeline.models import ArticleRow, LabelRow
from tests.e2e.conftest import Wire, wire_env
from workers.sample_sites import Site

pytestmark = pytest.mark.e2e

# Columns that do not depend on which copy of a story a worker happened to take first.
COLUMNS = ("canonical_url", "feed_url", "title", "authors", "published_at", "updated_at",
           "language", "site_name", "description", "image_url", "text", "agency", "dateline",
           "tags", "word_count", "text_hash", "model_version")  # fmt: skip


def _snapshot(database_url: str) -> tuple[dict[str, Any], set[frozenset[str]]]:
    """Rows by URL (with their labels), and the stories as sets of URLs."""
    engine = make_engine(database_url)
    with session_factory(engine)() as session:
        rows = list(session.scalars(select(ArticleRow)))
        labels: dict[str, set[tuple[str, str, float]]] = {}
        for label in session.scalars(select(LabelRow)):
            labels.setdefault(label.article_id, set()).add((label.kind, label.code, label.score))
        by_url = {
            row.url: ({c: getattr(row, c) for c in COLUMNS}, labels.get(row.id, set()))
            for row in rows
        }
        stories: dict[str, set[str]] = {}
        for row in rows:
            stories.setdefault(row.story_id or row.id, set()).add(row.url)
    engine.dispose()
    return by_url, {frozenset(urls) for urls in stories.values()}


def _ingest(env: dict[str, str], tmp_path: Path, feeds: Path) -> set[str]:
    """Run `wire ingest --once`; the CPU task names the workers received."""
    result = Wire(env, tmp_path)("ingest", "--once", "--feeds", str(feeds))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "finished" in result.stdout
    logs = "".join(p.read_text() for p in (Path(env["WIRE_VAR_DIR"]) / "logs").glob("*.log"))
    names = ("wire.process", "wire.process_batch", "wire.clean", "wire.dedup", "wire.classify",
             "wire.store")  # fmt: skip
    return {name for name in names if f"Task {name}[" in logs}


def test_fused_and_per_stage_paths_store_the_same_rows(
    redis_client: redis.Redis, redis_service: str, sites: list[Site], tmp_path: Path
) -> None:
    feeds = tmp_path / "feeds.txt"
    feeds.write_text("".join(f"{site.base_url}/feed.xml\n" for site in sites))
    snapshots, received = [], []
    for fused in ("true", "false"):
        redis_client.flushdb()
        folder = tmp_path / f"fused-{fused}"
        folder.mkdir()
        env = wire_env(redis_service, f"sqlite:///{folder / 'wire.db'}", folder / "var")
        received.append(_ingest({**env, "WIRE_FUSE_CPU_STAGES": fused}, folder, feeds))
        snapshots.append(_snapshot(env["WIRE_DATABASE_URL"]))
    # The threaded fetch worker sends an article alone or with others (`wire.process_batch`),
    # as they come: which of the two, or both, is timing.
    assert received[0]
    assert received[0] <= {"wire.process", "wire.process_batch"}
    assert received[1] == {"wire.clean", "wire.dedup", "wire.classify", "wire.store"}
    (fused_rows, fused_stories), (staged_rows, staged_stories) = snapshots
    assert len(fused_rows) == 7
    assert fused_rows == staged_rows
    assert fused_stories == staged_stories
