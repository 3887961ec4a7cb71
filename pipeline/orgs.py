"""Organisations (NATO, UN agencies, central banks...) and roles ("US President") in a text."""

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from pipeline.lexicon import PhraseIndex, Tokens
from pipeline.records import Label

# A headline mention counts as this many body mentions.
TITLE_MENTIONS = 2


@dataclass(frozen=True)
class OrgIndex:
    """Label names and the phrase index from aliases to the labels they imply."""

    names: dict[str, str]
    index: PhraseIndex[tuple[str, ...]]


def load_orgs(path: Path) -> OrgIndex:
    """Load organizations.json; an alias shared by several labels implies them all."""
    data = json.loads(path.read_text(encoding="utf-8"))
    implied: dict[str, tuple[str, ...]] = {}
    for row in data["organizations"]:
        for alias in row["aliases"]:
            implied[alias] = (*implied.get(alias, ()), row["code"])
    names = {row["code"]: row["name"] for row in data["organizations"]}
    return OrgIndex(names=names, index=PhraseIndex(implied))


def score_orgs(orgs: OrgIndex, title: Tokens, body: Tokens) -> list[Label]:
    """Organisations and roles named in the text, scored by mentions relative to the most named."""
    counts: Counter[str] = Counter()
    for tokens, weight in ((title, TITLE_MENTIONS), (body, 1)):
        for _, _, codes in orgs.index.scan(tokens.words):
            for code in codes:
                counts[code] += weight
    if not counts:
        return []
    top = max(counts.values())
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [
        Label(code=code, name=orgs.names[code], score=round(count / top, 3))
        for code, count in ranked
    ]
