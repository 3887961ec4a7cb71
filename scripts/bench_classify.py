"""`make bench` section classify: articles per second per core of the default classifier.

The texts are the 40 article bodies of the scrapinghub article-extraction benchmark (MIT) in the
shared corpus (about 760 words each, a realistic wire length), else the seed story; each is
classified repeatedly in one process. The rate is articles per CPU second of this process
(time.process_time), so a busy shared machine does not halve it; wall-clock rate is shown too.
"""

import json
import os
import time
from pathlib import Path
from typing import Any

from pipeline.classify import Classifier, classify, load_model

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "tests" / "fixtures" / "seed" / "kremlin-nato-body.txt"
# Enough work for a stable figure (a few seconds) without making `make bench` slow.
MIN_SECONDS, ROUNDS = 3.0, 3


def texts() -> list[tuple[str, str]]:
    """(title, text) pairs to classify."""
    corpus = Path(os.environ.get("WIRE_CORPUS_DIR", ROOT.parent / "shared" / "corpus"))
    truth = corpus / "articles" / "scrapinghub_aeb" / "ground-truth.json"
    if truth.is_file():
        rows = json.loads(truth.read_text(encoding="utf-8")).values()
        return [("", row["articleBody"]) for row in rows]
    return [("", SEED.read_text(encoding="utf-8"))]


def rate(model: Classifier, items: list[tuple[str, str]]) -> tuple[float, float]:
    """Articles per CPU second and per wall second: best of a few rounds of MIN_SECONDS each."""
    best_cpu = best_wall = 0.0
    for _ in range(ROUNDS):
        done, cpu, wall = 0, time.process_time(), time.perf_counter()
        while time.process_time() - cpu < MIN_SECONDS:
            for title, text in items:
                classify(title, text, None, model)
            done += len(items)
        best_cpu = max(best_cpu, done / (time.process_time() - cpu))
        best_wall = max(best_wall, done / (time.perf_counter() - wall))
    return best_cpu, best_wall


def run(out: dict[str, Any]) -> None:
    """Measure and print the default classifier's throughput on one core."""
    items = texts()
    started = time.perf_counter()
    model = load_model()
    load_seconds = time.perf_counter() - started
    words = sum(len(text.split()) for _, text in items) / len(items)
    per_second, wall = rate(model, items)
    out["default"] = {
        "model": model.version,
        "articles_per_second": round(per_second, 1),
        "articles_per_wall_second": round(wall, 1),
        "mean_words": round(words),
        "load_seconds": round(load_seconds, 3),
    }
    print(f"{'model':<22}{'articles/cpu-s':>15}{'articles/wall-s':>16}{'words':>7}{'load s':>8}")
    print(f"{model.version:<22}{per_second:>15.1f}{wall:>16.1f}{words:>7.0f}{load_seconds:>8.3f}")
