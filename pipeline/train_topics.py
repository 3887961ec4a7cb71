"""Train a topic model on an operator's labelled texts, in the shipped lexicon's file format."""

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pipeline.lexicon import stem_all, tokenize

# Add-one style smoothing of document frequencies, so a term seen once is not a certainty.
SMOOTHING = 0.5
# A term must occur in this many documents of a label, and be this much likelier (log ratio)
# there than elsewhere, to become evidence for it.
MIN_DF, MIN_LOG_RATIO = 2, 0.7
# Weights are capped like the shipped lexicon's strong cues, so no single word decides alone.
MAX_WEIGHT = 3.0
MAX_TERMS_PER_LABEL = 3000


@dataclass(frozen=True)
class Example:
    """One labelled training text."""

    text: str
    labels: tuple[str, ...]


def parse_example(item: object) -> tuple[Example, dict[str, str]]:
    """An example and its label names from one JSON object, or ValueError saying what is wrong."""
    if not isinstance(item, dict) or not isinstance(item.get("text"), str):
        raise ValueError("not a JSON object with a text field")
    raw = item.get("labels")
    if not isinstance(raw, list) or not raw:
        raise ValueError("labels must be a non-empty list of codes or {code, name} objects")
    names: dict[str, str] = {}
    for label in raw:
        code, name = _label(label)
        names[code] = name
    text = f"{item.get('title') or ''}\n{item['text']}"
    return Example(text=text, labels=tuple(names)), names


def _label(label: Any) -> tuple[str, str]:
    if isinstance(label, str) and label:
        return label, label
    if isinstance(label, dict) and isinstance(label.get("code"), str) and label["code"]:
        return label["code"], str(label.get("name") or label["code"])
    raise ValueError(f"bad label {label!r}")


def _terms(text: str) -> set[str]:
    return {w for w in stem_all(tokenize(text)) if len(w) > 2 and not w.isdigit()}


def _weight(df_in: int, n_in: int, df_out: int, n_out: int) -> float:
    p_in = (df_in + SMOOTHING) / (n_in + 2 * SMOOTHING)
    p_out = (df_out + SMOOTHING) / (n_out + 2 * SMOOTHING)
    return math.log(p_in / p_out)


def train(examples: Iterable[Example], names: dict[str, str], source: str) -> dict[str, Any]:
    """Per-label term weights (smoothed log ratio of document frequencies), as a lexicon file."""
    docs: Counter[str] = Counter()
    df: dict[str, Counter[str]] = {}
    total: Counter[str] = Counter()
    n = 0
    for example in examples:
        n += 1
        seen = _terms(example.text)
        total.update(seen)
        for label in example.labels:
            docs[label] += 1
            df.setdefault(label, Counter()).update(seen)
    if len(docs) < 2:
        raise ValueError("training needs at least two different labels")
    terms: dict[str, dict[str, float]] = {}
    for label, counts in df.items():
        kept = []
        for term, inside in counts.items():
            weight = _weight(inside, docs[label], total[term] - inside, n - docs[label])
            if inside >= MIN_DF and weight >= MIN_LOG_RATIO:
                kept.append((min(weight, MAX_WEIGHT), term))
        for weight, term in sorted(kept, reverse=True)[:MAX_TERMS_PER_LABEL]:
            terms.setdefault(term, {})[label] = round(weight, 3)
    return {"version": "trained", "source": source, "documents": n,
            "topics": {code: names[code] for code in sorted(docs)},
            "terms": dict(sorted(terms.items()))}  # fmt: skip
