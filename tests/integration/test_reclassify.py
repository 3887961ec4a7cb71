"""`wire reclassify` against real SQLite and PostgreSQL databases, as a real process."""

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from pipeline.classify import load_model
from pipeline.db import make_engine, session_factory
from pipeline.models import ArticleRow, LabelRow
from pipeline.records import Article, Classification, DedupVerdict, Label, StoredArticle
from pipeline.store import store

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "tests" / "fixtures" / "seed" / "kremlin-nato-body.txt"
STALE = "lexicon-0.0.0-stale"
TITLE = "Kremlin says U.S. position ruling out NATO membership for Ukraine gives satisfaction"


def _record(item_id: str) -> StoredArticle:
    article = Article(
        item_id=item_id, url=f"http://127.0.0.1/news/{item_id}",
        canonical_url=f"http://example.com/{item_id}", dateline="MOSCOW",
        title=TITLE,
        text=SEED.read_text(encoding="utf-8"), word_count=400,
    )  # fmt: skip
    # Labels a previous model might have given: wrong topic, no countries.
    stale = Classification(topics=[Label(code="medtop:15000000", name="sport", score=1.0)],
                           model=STALE)  # fmt: skip
    dedup = DedupVerdict(story_id=item_id, text_hash=item_id * 8)
    return StoredArticle(article=article, dedup=dedup, classification=stale)


def _reclassify(url: str, tmp_path: Path, *extra: str) -> dict[str, object]:
    env = {**os.environ, "WIRE_DATABASE_URL": url, "WIRE_VAR_DIR": str(tmp_path / "var")}
    done = subprocess.run(
        [sys.executable, "-m", "workers.cli", "reclassify", *extra],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout)
    return result


def _state(url: str) -> tuple[list[str], dict[str, set[tuple[str, str, str]]]]:
    engine = make_engine(url)
    with session_factory(engine)() as session:
        versions = list(session.scalars(select(ArticleRow.model_version).order_by(ArticleRow.id)))
        labels: dict[str, set[tuple[str, str, str]]] = {}
        for row in session.scalars(select(LabelRow)):
            labels.setdefault(row.article_id, set()).add((row.kind, row.code, row.model))
    engine.dispose()
    return versions, labels


def _store(url: str, *ids: str) -> None:
    engine = make_engine(url)
    with session_factory(engine).begin() as session:
        for item_id in ids:
            store(_record(item_id), session)
    engine.dispose()


def test_reclassify_relabels_stored_articles_with_the_current_model(
    database_url: str, tmp_path: Path
) -> None:
    _store(database_url, "a1", "a2")
    current = load_model().version
    assert _reclassify(database_url, tmp_path) == {"relabelled": 2, "model": current}
    versions, labels = _state(database_url)
    assert versions == [current, current]
    for item_id in ("a1", "a2"):
        kinds = {(kind, code) for kind, code, _ in labels[item_id]}
        assert {("country", "RU"), ("country", "UA"), ("country", "US")} <= kinds
        assert ("organization", "org:nato") in kinds
        assert ("region", "m49:151") in kinds
        assert ("topic", "medtop:15000000") not in kinds
        assert {model for _, _, model in labels[item_id]} == {current}


def test_reclassify_twice_leaves_the_same_rows(database_url: str, tmp_path: Path) -> None:
    _store(database_url, "a1")
    _reclassify(database_url, tmp_path)
    first = _state(database_url)
    _reclassify(database_url, tmp_path)
    assert _state(database_url) == first


def test_reclassify_since_a_later_date_leaves_older_articles_alone(
    database_url: str, tmp_path: Path
) -> None:
    _store(database_url, "a1")
    later = datetime.now(UTC).replace(year=datetime.now(UTC).year + 1).date().isoformat()
    assert _reclassify(database_url, tmp_path, "--since", later)["relabelled"] == 0
    versions, labels = _state(database_url)
    assert versions == [STALE]
    assert labels["a1"] == {("topic", "medtop:15000000", STALE)}
