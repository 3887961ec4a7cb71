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
# A second-level topic is named only on strong evidence (two curated cues, or one used thrice)
# under a chosen parent, and only if it holds this share of the parent's second-level evidence.
SUB_MIN_EVIDENCE, SUB_MIN_SHARE, MAX_SUBTOPICS = 4.0, 0.3, 2

Weights = tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class TopicModel:
    """Topic names and the phrase index from stemmed terms to (term id, topic weights)."""

    names: dict[str, str]
    index: PhraseIndex[tuple[int, Weights]]
    sub_parents: dict[str, tuple[str, str]]
    sub_index: PhraseIndex[tuple[int, Weights]]


def _index(terms: dict[str, dict[str, float]]) -> PhraseIndex[tuple[int, Weights]]:
    index: PhraseIndex[tuple[int, Weights]] = PhraseIndex({})
    for term_id, (term, weights) in enumerate(terms.items()):
        index.add(term.split(" "), (term_id, tuple(weights.items())))
    return index


def load_topics(path: Path) -> TopicModel:
    """Load the generated IPTC lexicon file."""
    data = json.loads(path.read_text(encoding="utf-8"))
    # A trained operator model has no second level: those keys are absent.
    subs = data.get("subtopics", {})
    return TopicModel(
        names=dict(data["topics"]),
        index=_index(data["terms"]),
        sub_parents={code: (row["name"], row["parent"]) for code, row in subs.items()},
        sub_index=_index(data.get("subterms", {})),
    )


def _evidence(
    index: PhraseIndex[tuple[int, Weights]], title: list[str], body: list[str]
) -> dict[str, float]:
    """Sum term weights per topic, sub-linear in how often each term repeats."""
    counts: dict[int, float] = {}
    weights: dict[int, Weights] = {}
    for tokens, factor in ((title, TITLE_WEIGHT), (body, 1.0)):
        for _, _, (term_id, term_weights) in index.scan(tokens):
            counts[term_id] = counts.get(term_id, 0.0) + factor
            weights[term_id] = term_weights
    raw: dict[str, float] = {}
    for term_id, count in counts.items():
        damp = 1.0 + math.log(count) if count > 1 else count
        for code, weight in weights[term_id]:
            raw[code] = raw.get(code, 0.0) + weight * damp
    return raw


def score_topics(model: TopicModel, title: list[str], body: list[str]) -> list[Label]:
    """IPTC topics of a text, scored by their share of the evidence: top level, then second."""
    title, body = stem_all(title), stem_all(body)
    labels = _top_level(model, _evidence(model.index, title, body))
    if labels and len(model.sub_index):
        labels += _second_level(model, labels, _evidence(model.sub_index, title, body))
    return sorted(labels, key=lambda label: (-label.score, label.code))


def _second_level(model: TopicModel, parents: list[Label], raw: dict[str, float]) -> list[Label]:
    """Second-level topics under the chosen parents, where the evidence is strong."""
    labels = []
    for parent in parents:
        children = {c: v for c, v in raw.items() if model.sub_parents[c][1] == parent.code}
        total = sum(children.values())
        ranked = sorted(children.items(), key=lambda item: (-item[1], item[0]))
        for code, value in ranked[:MAX_SUBTOPICS]:
            if value >= SUB_MIN_EVIDENCE and value / total >= SUB_MIN_SHARE:
                score = max(round(parent.score * value / total, 3), 0.001)
                labels.append(Label(code=code, name=model.sub_parents[code][0], score=score))
    return labels


def _top_level(model: TopicModel, raw: dict[str, float]) -> list[Label]:
    """Top-level topics, each scored by its share of the evidence."""
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
