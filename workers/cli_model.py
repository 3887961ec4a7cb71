"""`wire` sub-commands of the classification model (`wire reclassify`, `wire classify train`)."""

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from config.settings import get_settings
from pipeline.classify import load_model
from pipeline.relabel import batch_ids, relabel
from pipeline.train_topics import Example, parse_example, train
from workers import cli_data
from workers.cli_fleet import prepare
from workers.resources import resources

MODEL_FILE_NAME = "topic_model.json"


def _since(value: str) -> datetime:
    """An ISO date or date-time; a naive one is read as UTC."""
    when = datetime.fromisoformat(value)
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def classify(args: argparse.Namespace) -> int:
    """`wire classify [FILE|-]` labels JSON lines; `wire classify train FILE` trains a model."""
    if args.file != "train":
        if args.train_file is not None:
            print("wire classify takes one FILE (or `train FILE`)", file=sys.stderr)
            return 2
        return cli_data.classify(args)
    if args.train_file is None:
        print("wire classify train needs a FILE of JSON lines", file=sys.stderr)
        return 2
    out = Path(args.out) if args.out else get_settings().var_dir / MODEL_FILE_NAME
    return train_file(Path(args.train_file), out)


def _examples(path: Path) -> tuple[list[Example], dict[str, str]]:
    examples, names = [], {}
    with path.open(encoding="utf-8") as stream:
        for number, line in enumerate(stream, start=1):
            if not line.strip():
                continue
            try:
                example, labels = parse_example(json.loads(line))
            except ValueError as exc:  # json.JSONDecodeError is a ValueError too
                raise ValueError(f"{path}:{number}: {exc}") from exc
            examples.append(example)
            names.update(labels)
    return examples, names


def train_file(path: Path, out: Path) -> int:
    """Train a topic model on JSON lines of text and labels and write it where told."""
    try:
        examples, names = _examples(path)
        model = train(examples, names, source=f"wire classify train {path.name}")
    except (OSError, ValueError) as exc:
        print(f"wire classify train: {exc}", file=sys.stderr)
        return 1
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(model, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{out}: {model['documents']} texts, {len(model['topics'])} labels, "
          f"{len(model['terms'])} terms; use it with WIRE_TOPIC_MODEL={out}")  # fmt: skip
    return 0


def reclassify(args: argparse.Namespace) -> int:
    """Re-label stored articles (those stored since DATE, or all) with the current model."""
    settings = get_settings()
    prepare(settings)
    model = load_model(settings.model_choice())
    done, after = 0, ""
    while True:
        # One transaction per batch: a stopped run keeps what it finished, and running it again
        # relabels the same articles to the same result.
        with resources().sessions.begin() as session:
            ids = batch_ids(session, args.since, after, args.batch)
            if not ids:
                break
            done += relabel(session, ids, model)
        after = ids[-1]
    print(json.dumps({"relabelled": done, "model": model.version}))
    return 0


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Add this module's sub-commands to the `wire` parser."""
    cls = sub.add_parser(
        "classify", help="label JSON lines of id, title, text; or `classify train FILE`"
    )
    cls.add_argument("file", nargs="?", default="-", help="JSON lines to label (- for stdin)")
    cls.add_argument("train_file", nargs="?", default=None, help=argparse.SUPPRESS)
    cls.add_argument(
        "--out", default=None, help="where train writes (WIRE_VAR_DIR/topic_model.json)"
    )
    cls.set_defaults(handler=classify)
    rec = sub.add_parser("reclassify", help="re-label stored articles with the current model")
    rec.add_argument("--since", type=_since, default=None, help="only articles stored since DATE")
    rec.add_argument("--batch", type=int, default=500, help=argparse.SUPPRESS)
    rec.set_defaults(handler=reclassify)
