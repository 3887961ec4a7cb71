"""`make eval` dedup section: story clustering on a generated syndication set, end to end.

1. syndication: stories from the shared corpus (Reuters-21578, BBC News; read here, never
   copied) are republished by six local outlets (scripts/dedup_syndication.py), served on
   127.0.0.11-16, ingested by `wire ingest --once` (real workers, a private redis-server, a
   temporary SQLite file) and read back with `wire export`. Pairwise scores over stored
   articles: precision = same-story pairs given one story_id / pairs given one story_id,
   recall = same-story pairs given one story_id / same-story pairs.
2. pairs: the similarity function alone (pipeline.minhash: estimated Jaccard, containment and
   the same-story rule, word-count minimum ignored) on MSRP (Quality 1 = paraphrase) and on the
   STS-B news headline pairs (score >= 4 = same story), with the share of texts long enough
   for similarity under WIRE_DEDUP_SIMILARITY_MIN_WORDS. The thresholds were set before these
   sets were read and are not tuned on them.
"""

import csv
import itertools
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from dedup_syndication import (
    Plan,
    Story,
    bbc_stories,
    build,
    distinct,
    open_stories,
    reuters_stories,
    wire_length,
)

from pipeline.dedup import story_words
from pipeline.minhash import containment, jaccard, same_story, shingle_hashes, signature
from pipeline.policy import DedupPolicy
from workers.embedded import redis_server_binary
from workers.sample_sites import serve

ROOT = Path(__file__).resolve().parent.parent
POLICY = DedupPolicy()

REUTERS_TOPICS = ("earn", "acq", "crude", "money-fx", "grain", "trade", "interest", "ship")
PER_TOPIC = int(os.environ.get("WIRE_EVAL_DEDUP_PER_TOPIC", "18"))


def stories(corpus: Path) -> list[Story]:
    """Same-topic groups of distinct stories: the hard negatives sit next to each other."""
    reuters = distinct(reuters_stories(corpus / "topics" / "reuters21578", 120))
    bbc = distinct(bbc_stories(corpus / "topics" / "bbc", 150))
    chosen: list[Story] = []
    for topic in REUTERS_TOPICS:
        chosen += [s for s in reuters if s.topic == topic][:PER_TOPIC]
    for topic in sorted({s.topic for s in bbc}):
        chosen += [s for s in bbc if s.topic == topic][: PER_TOPIC // 2]
    random.Random(7).shuffle(chosen)  # noqa: S311 - a reproducible order
    return chosen


def _wire(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "workers.cli", *args], env=env, cwd=ROOT,  # noqa: S603
                          capture_output=True, text=True, timeout=3600, check=False)  # fmt: skip


def _env(folder: Path, redis_socket: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WIRE_")}
    env.update(WIRE_REDIS_URL=f"unix://{redis_socket}",
               WIRE_DATABASE_URL=f"sqlite:///{folder / 'wire.db'}",
               WIRE_VAR_DIR=str(folder / "var"), WIRE_ALLOW_PRIVATE_NETWORKS="true",
               WIRE_FETCH_HOST_RATE="0", WIRE_FETCH_HOST_CONCURRENCY="16",
               WIRE_HOST_DELAY_SECONDS="0", WIRE_RETRY_MAX="2")  # fmt: skip
    return env


def ingest(plan: Plan, folder: Path) -> tuple[list[dict[str, Any]], str, float]:
    """Serve the outlets, ingest them once with real workers, return the exported rows."""
    sock = folder / "redis.sock"
    server = subprocess.Popen(  # noqa: S603 - the bundled binary, no shell
        [str(redis_server_binary()), "--port", "0", "--unixsocket", str(sock), "--save", "",
         "--appendonly", "no", "--dir", str(folder)], stdout=subprocess.DEVNULL)  # fmt: skip
    try:
        while not sock.exists():
            time.sleep(0.05)
        env = _env(folder, sock)
        with serve(plan.sites) as sites:
            feeds = folder / "feeds.txt"
            feeds.write_text("".join(f"{s.base_url}/feed.xml\n" for s in sites))
            began = time.perf_counter()
            done = _wire(env, "ingest", "--once", "--feeds", str(feeds))
            took = time.perf_counter() - began
            if done.returncode != 0:
                raise RuntimeError(f"wire ingest failed: {done.stdout}\n{done.stderr}")
        exported = _wire(env, "export")
        rows = [json.loads(line) for line in exported.stdout.splitlines() if line.strip()]
        return rows, done.stdout, took
    finally:
        server.terminate()
        server.wait(10)


def pairwise(truth: list[str], predicted: list[str]) -> dict[str, float]:
    """Pairwise precision and recall of a clustering against the true one."""
    same_true = same_pred = both = 0
    for i, j in itertools.combinations(range(len(truth)), 2):
        t, p = truth[i] == truth[j], predicted[i] == predicted[j]
        same_true += t
        same_pred += p
        both += t and p
    precision = both / same_pred if same_pred else 1.0
    recall = both / same_true if same_true else 1.0
    return {"pairs_same_story": same_true, "pairs_same_id": same_pred, "pairs_both": both,
            "precision": round(precision, 4), "recall": round(recall, 4)}  # fmt: skip


def score(plan: Plan, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Pairwise figures over the stored articles, with what was missed or merged by mistake."""
    truth, predicted, unknown = [], [], 0
    for row in rows:
        parts = urlsplit(row["url"])
        key = plan.truth.get((parts.hostname or "", parts.path.removeprefix("/news/")))
        if key is None:
            unknown += 1
            continue
        truth.append(key)
        predicted.append(row["story_id"])
    result = pairwise(truth, predicted)
    result.update(stored=len(truth), unknown_rows=unknown, pages=len(plan.truth),
                  stories=len(set(truth)), story_ids=len(set(predicted)))  # fmt: skip
    return result


def simhash(hashes: set[int]) -> int:
    """64-bit SimHash of a set of shingle hashes (the alternative signature, measured here)."""
    weights = [0] * 64
    for value in hashes:
        for bit in range(64):
            weights[bit] += 1 if value >> bit & 1 else -1
    return sum(1 << bit for bit in range(64) if weights[bit] > 0)


def _best_f1(scored: Sequence[tuple[float, bool]]) -> tuple[float, float]:
    """The best F1 over all thresholds of a score (higher = more alike), and that threshold."""
    positives = sum(label for _, label in scored)
    best, at, tp, fp = 0.0, 0.0, 0, 0
    for value, label in sorted(scored, key=lambda x: -x[0]):
        tp, fp = tp + label, fp + (not label)
        f1 = 2 * tp / (tp + fp + positives) if positives else 0.0
        if f1 > best:
            best, at = f1, value
    return round(best, 4), at


def _prf(decided: list[tuple[bool, bool]]) -> dict[str, float]:
    tp = sum(d and t for d, t in decided)
    fp = sum(d and not t for d, t in decided)
    fn = sum(t and not d for d, t in decided)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "pairs": len(decided)}


def signatures_compared(texts: list[tuple[str, str]]) -> dict[str, Any]:
    """MinHash rule vs SimHash on every pair of the stored texts (pair level, no clusters)."""
    sigs, sims = [], []
    for _, text in texts:
        words = story_words(text)
        sigs.append(signature(words, POLICY.shingle_words))
        sims.append(simhash(shingle_hashes(words, POLICY.shingle_words)))
    minhash_scores, simhash_scores, decided = [], [], []
    errors: list[dict[str, Any]] = []
    for i, j in itertools.combinations(range(len(texts)), 2):
        same = texts[i][0] == texts[j][0]
        sim = jaccard(sigs[i].sketch, sigs[j].sketch)
        contained = containment(sim, sigs[i].shingles, sigs[j].shingles)
        decided.append((same_story(sim, contained, POLICY), same))
        if decided[-1][0] != same and len(errors) < 12:
            sizes = (len(story_words(texts[i][1])), len(story_words(texts[j][1])))
            errors.append({"same_story": same, "jaccard": round(sim, 3),
                           "containment": round(contained, 3), "words": sizes})  # fmt: skip
        minhash_scores.append((max(sim, contained if sim >= POLICY.jaccard_floor else 0), same))
        simhash_scores.append((64 - bin(sims[i] ^ sims[j]).count("1"), same))
    f1_min, _ = _best_f1(minhash_scores)
    f1_sim, at = _best_f1(simhash_scores)
    return {"minhash_rule": _prf(decided), "minhash_best_f1": f1_min,
            "simhash_best_f1": f1_sim, "simhash_best_max_distance": 64 - at,
            "rule_errors": errors}  # fmt: skip


def _sentence_pairs(corpus: Path) -> dict[str, list[tuple[str, str, bool]]]:
    folder = corpus / "near_duplicates"
    msrp = []
    with (folder / "msrp" / "msr_paraphrase_train.txt").open(encoding="utf-8-sig") as handle:
        for row in csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
            if len(row) >= 5 and row[0] in ("0", "1"):
                msrp.append((row[3], row[4], row[0] == "1"))
    headlines = []
    for name in ("sts-train.csv", "sts-dev.csv"):
        for line in (folder / "stsb" / name).read_text(encoding="utf-8").splitlines():
            cells = line.split("\t")
            if len(cells) >= 7 and cells[0] == "main-news" and cells[1] == "headlines":
                headlines.append((cells[5], cells[6], float(cells[4]) >= 4.0))
    return {"msrp": msrp, "stsb_headlines": headlines}


def sentence_pairs(corpus: Path) -> dict[str, Any]:
    """The similarity rule on sentence and headline pairs (word minimum ignored)."""
    out: dict[str, Any] = {}
    for name, pairs in _sentence_pairs(corpus).items():
        decided, exact, scores = [], [], []
        for a, b, label in pairs:
            wa, wb = story_words(a), story_words(b)
            sa, sb = signature(wa, POLICY.shingle_words), signature(wb, POLICY.shingle_words)
            sim = jaccard(sa.sketch, sb.sketch)
            decided.append(
                (same_story(sim, containment(sim, sa.shingles, sb.shingles), POLICY), label)
            )
            ha, hb = (
                shingle_hashes(wa, POLICY.shingle_words),
                shingle_hashes(wb, POLICY.shingle_words),
            )
            true_j = len(ha & hb) / len(ha | hb) if ha | hb else 0.0
            exact.append(abs(true_j - sim))
            scores.append((sim, label))
        long_enough = sum(len(story_words(t)) >= POLICY.similarity_min_words
                          for a, b, _ in pairs for t in (a, b))  # fmt: skip
        out[name] = {**_prf(decided), "positives": sum(p[2] for p in pairs),
                     "best_f1_any_threshold": _best_f1(scores)[0],
                     "mean_abs_error_of_jaccard_estimate": round(sum(exact) / len(exact), 4),
                     "share_long_enough_for_similarity":
                         round(long_enough / (2 * len(pairs)), 4)}  # fmt: skip
    return out


def syndication(chosen: list[Story], seed: int) -> dict[str, Any]:
    """Generate, serve, ingest, export and score one syndication set."""
    folder = Path(tempfile.mkdtemp(prefix="wire-eval-dedup-"))
    try:
        plan = build(chosen, folder / "pages", seed)
        rows, summary, took = ingest(plan, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    result = score(plan, rows)
    dropped = [line.strip() for line in summary.splitlines() if ":dropped:" in line]
    result.update(amp_twins=plan.amp_pages, scenarios=plan.scenarios,
                  ingest_seconds=round(took, 1), dropped=dropped)  # fmt: skip
    keyed = [(_truth_key(plan, r["url"]), r["text"]) for r in rows]
    result["signatures"] = signatures_compared(keyed)
    return result


def _truth_key(plan: Plan, url: str) -> str:
    parts = urlsplit(url)
    return plan.truth.get((parts.hostname or "", parts.path.removeprefix("/news/")), "?")


def run(corpus: Path, out: dict[str, Any]) -> None:
    """The open development set, the research test set, then the sentence and headline pairs."""
    dev = open_stories(corpus / "articles", 150)
    out["open_dev"] = syndication(dev, seed=11)
    _print_set("open (MIT/Apache texts, development)", out["open_dev"])
    out["open_dev_wire_length"] = syndication(wire_length(dev), seed=11)
    _print_set("open, cut to wire length (development)", out["open_dev_wire_length"])
    out["syndication"] = syndication(stories(corpus), seed=5)
    _print_set("research (Reuters-21578 + BBC, test)", out["syndication"])
    out["pairs"] = sentence_pairs(corpus)
    _print_pairs(out["pairs"])


def _print_set(name: str, syn: dict[str, Any]) -> None:
    print(f"{name}: {syn['pages']} pages of {syn['stories']} stories, {syn['stored']} stored, "
          f"{syn['story_ids']} story ids, ingest {syn['ingest_seconds']} s")  # fmt: skip
    print(f"  pairwise precision {syn['precision']:.4f}  recall {syn['recall']:.4f}  "
          f"({syn['pairs_both']} of {syn['pairs_same_story']} same-story pairs; "
          f"{syn['pairs_same_id']} pairs share an id)")  # fmt: skip
    sig = syn["signatures"]
    print(f"  pair level: MinHash rule P {sig['minhash_rule']['precision']} "
          f"R {sig['minhash_rule']['recall']}; best F1 MinHash {sig['minhash_best_f1']}, "
          f"SimHash {sig['simhash_best_f1']} "
          f"(Hamming <= {sig['simhash_best_max_distance']})")  # fmt: skip


def _print_pairs(pairs: dict[str, Any]) -> None:
    for name, row in pairs.items():
        print(f"{name}: rule P {row['precision']} R {row['recall']} on {row['pairs']} pairs "
              f"({row['positives']} positive); best F1 at any Jaccard threshold "
              f"{row['best_f1_any_threshold']}; Jaccard estimate error "
              f"{row['mean_abs_error_of_jaccard_estimate']}; long enough for similarity "
              f"{row['share_long_enough_for_similarity']:.0%}")  # fmt: skip
