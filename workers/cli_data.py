"""`wire extract`, `wire classify`, `wire export`: the stages and the store as JSON lines."""

import argparse
import gzip
import json
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.settings import get_settings
from pipeline.classify import classify as classify_text
from pipeline.classify import load_model
from pipeline.clean import extract as extract_page
from pipeline.errors import Drop
from pipeline.models import ArticleRow, LabelRow
from workers.cli_fleet import prepare
from workers.resources import resources

LABEL_KINDS = {"topic": "topics", "country": "countries", "region": "regions",
               "organization": "organizations"}  # fmt: skip


def _read_page(path: Path) -> bytes:
    data = path.read_bytes()
    # gzip's magic number, so saved pages work whatever their file name.
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def extract(args: argparse.Namespace) -> int:
    """The clean stage on saved pages: one JSON object per line per path."""
    limits = get_settings().clean_limits()
    failed = 0
    for name in args.paths:
        row: dict[str, Any] = {"path": name}
        try:
            art = extract_page(_read_page(Path(name)), args.url, limits)
        except (OSError, Drop) as exc:
            failed += 1
            row["error"] = str(exc)
            print(json.dumps(row, ensure_ascii=False))
            continue
        row.update(url=art.url, canonical_url=art.canonical_url, title=art.title,
                   authors=art.authors, published_at=_iso(art.published_at),
                   updated_at=_iso(art.updated_at), site_name=art.site_name,
                   description=art.description, image_url=art.image_url,
                   language=art.language, text=art.text, agency=art.agency,
                   dateline=art.dateline, tags=art.tags, word_count=art.word_count)  # fmt: skip
        print(json.dumps(row, ensure_ascii=False))
    return 1 if failed else 0


def _json_lines(stream: TextIO) -> Iterator[tuple[int, dict[str, Any] | None]]:
    for number, line in enumerate(stream, start=1):
        if line.strip():
            try:
                value = json.loads(line)
            except json.JSONDecodeError:
                value = None
            yield number, value if isinstance(value, dict) else None


def classify(args: argparse.Namespace) -> int:
    """Label JSON lines of id, title, text; one JSON line out per line in."""
    model = load_model(get_settings().model_choice())
    stream = sys.stdin if args.file == "-" else Path(args.file).open(encoding="utf-8")  # noqa: SIM115
    bad = 0
    with stream:
        for number, item in _json_lines(stream):
            if item is None or not isinstance(item.get("text"), str):
                bad += 1
                print(f"line {number}: not a JSON object with a text field", file=sys.stderr)
                continue
            labels = classify_text(item.get("title"), item["text"], None, model)
            out = {"id": item.get("id"), **labels.model_dump(mode="json")}
            # The JSON-lines contract names a topic's label `label`; `name` stays for the store's.
            out["topics"] = [{**topic, "label": topic["name"]} for topic in out["topics"]]
            print(json.dumps(out, ensure_ascii=False))
    return 1 if bad else 0


def _labels(session: Session, ids: list[str]) -> dict[str, dict[str, list[dict[str, Any]]]]:
    found: dict[str, dict[str, list[dict[str, Any]]]] = {}
    rows = session.scalars(select(LabelRow).where(LabelRow.article_id.in_(ids)))
    for row in rows:
        kinds = found.setdefault(row.article_id, {k: [] for k in LABEL_KINDS.values()})
        kinds[LABEL_KINDS[row.kind]].append({"code": row.code, "name": row.name,
                                             "score": row.score})  # fmt: skip
    for kinds in found.values():
        for labels in kinds.values():
            labels.sort(key=lambda label: -float(label["score"]))
    return found


def export_row(row: ArticleRow, labels: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """One stored article as the export's JSON object."""
    empty: list[dict[str, Any]] = []
    return {
        "id": row.id, "url": row.url, "canonical_url": row.canonical_url,
        "feed_url": row.feed_url, "title": row.title, "authors": row.authors,
        "published_at": _iso(row.published_at), "language": row.language, "text": row.text,
        "agency": row.agency, "dateline": row.dateline, "tags": row.tags,
        "story_id": row.story_id, "duplicate_of": row.duplicate_of,
        "topics": labels.get("topics", empty), "countries": labels.get("countries", empty),
        "regions": labels.get("regions", empty),
        "organizations": labels.get("organizations", empty), "model": row.model_version,
    }  # fmt: skip


def export(_args: argparse.Namespace) -> int:
    """Every stored article as JSON lines, in batches so memory stays flat."""
    prepare(get_settings())
    with resources().sessions() as session:
        query = select(ArticleRow).order_by(ArticleRow.stored_at, ArticleRow.id)
        for batch in session.scalars(query.execution_options(yield_per=500)).partitions():
            labels = _labels(session, [row.id for row in batch])
            for row in batch:
                print(json.dumps(export_row(row, labels.get(row.id, {})), ensure_ascii=False))
    return 0
