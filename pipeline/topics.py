"""IPTC Media Topic scoring from the term lexicon built by scripts/build_topic_lexicon.py."""

import json
import math
from dataclasses import dataclass
from pathlib import Path

from pipeline.lexicon import PhraseIndex, stem_all
from pipeline.records import Label

# A headline states the subject: its terms count twice.
TITLE_WEIGHT = 2.0
# Below this much evidence (two strong cues) an article gets no topic rather than a guess.
MIN_EVIDENCE = 2.0
# A secondary topic needs this share of the evidence; the cap keeps the list to real subjects.
MIN_SHARE = 0.12
MAX_TOPICS = 4

Weights = tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class TopicModel:
    """Topic names and the phrase index from stemmed terms to (term id, topic weights)."""

    names: dict[str, str]
    index: PhraseIndex[tuple[int, Weights]]


def load_topics(path: Path) -> TopicModel:
    """Load the generated IPTC lexicon file."""
    data = json.loads(path.read_text(encoding="utf-8"))
    index: PhraseIndex[tuple[int, Weights]] = PhraseIndex({})
    for term_id, (term, weights) in enumerate(data["terms"].items()):
        index.add(term.split(" "), (term_id, tuple(weights.items())))
    return TopicModel(names=dict(data["topics"]), index=index)


def _evidence(model: TopicModel, title: list[str], body: list[str]) -> dict[str, float]:
    """Sum term weights per topic, sub-linear in how often each term repeats."""
    counts: dict[int, float] = {}
    weights: dict[int, Weights] = {}
    for tokens, factor in ((title, TITLE_WEIGHT), (body, 1.0)):
        for _, _, (term_id, term_weights) in model.index.scan(stem_all(tokens)):
            counts[term_id] = counts.get(term_id, 0.0) + factor
            weights[term_id] = term_weights
    raw: dict[str, float] = {}
    for term_id, count in counts.items():
        damp = 1.0 + math.log(count) if count > 1 else count
        for code, weight in weights[term_id]:
            raw[code] = raw.get(code, 0.0) + weight * damp
    return raw


def score_topics(model: TopicModel, title: list[str], body: list[str]) -> list[Label]:
    """Top-level IPTC topics of a text, scored by their share of the evidence."""
    raw = _evidence(model, title, body)
    total = sum(raw.values())
    ranked = sorted(raw.items(), key=lambda item: (-item[1], item[0]))[:MAX_TOPICS]
    if not ranked or ranked[0][1] < MIN_EVIDENCE:
        return []
    labels = []
    for rank, (code, value) in enumerate(ranked):
        share = value / total
        if rank and share < MIN_SHARE:
            break
        labels.append(Label(code=code, name=model.names[code], score=max(round(share, 3), 0.001)))
    return labels
