"""Country detection: gazetteer lookup with ambiguity rules and dateline and title weighting."""

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.lexicon import PhraseIndex, Tokens
from pipeline.records import Label

# A country's name is surer evidence than a city in it, and a city surer than an adjective.
NAME_WEIGHT, CITY_WEIGHT, DEMONYM_WEIGHT = 1.0, 0.8, 0.6
# The dateline says where the story happened; a headline says what it is about.
DATELINE_BONUS, TITLE_BONUS = 3.0, 1.5
# A country mentioned once in passing in the body is not a subject of the story.
MIN_MENTIONS = 2
# ...nor one with a tenth of the evidence of the main country.
MIN_RELATIVE = 0.1


@dataclass(frozen=True)
class GeoEntry:
    """What a gazetteer phrase means: a country, a region, or nothing ("blocked")."""

    kind: str
    code: str
    weight: float
    surface: str


@dataclass(frozen=True)
class Ambiguity:
    """Rules for names that are not always countries (people, a US state, a bird)."""

    person_like: dict[str, frozenset[str]]
    given_names: frozenset[str]
    georgia_us: frozenset[str]
    georgia_ge: frozenset[str]
    turkey_food: frozenset[str]
    turkey_tr: frozenset[str]


@dataclass(frozen=True)
class Gazetteer:
    """Country names and the phrase index over countries, regions and blocked phrases."""

    names: dict[str, str]
    areas: dict[str, str | None]
    index: PhraseIndex[GeoEntry]
    ambiguity: Ambiguity


@dataclass
class Evidence:
    """Accumulated evidence for one country or region."""

    weight: float = 0.0
    mentions: int = 0
    anchored: bool = False


@dataclass(frozen=True)
class Hit:
    """One gazetteer match in one part of the article."""

    source: str
    tokens: Tokens
    start: int
    size: int
    entry: GeoEntry = field(compare=False)


def _ambiguity(data: dict[str, Any]) -> Ambiguity:
    return Ambiguity(
        person_like={k: frozenset(v) for k, v in data["person_like"].items()},
        given_names=frozenset(data["given_names"]),
        georgia_us=frozenset(data["georgia"]["us_cues"]),
        georgia_ge=frozenset(data["georgia"]["ge_cues"]),
        turkey_food=frozenset(data["turkey"]["food_cues"]),
        turkey_tr=frozenset(data["turkey"]["tr_cues"]),
    )


def load_gazetteer(path: Path, region_aliases: dict[str, str]) -> Gazetteer:
    """Load countries.json into a phrase index (blocked phrases win over country words)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    phrases: dict[str, GeoEntry] = {}
    for row in data["countries"]:
        code = row["code"]
        for kind, weight in (("demonyms", DEMONYM_WEIGHT), ("cities", CITY_WEIGHT)):
            for surface in row[kind]:
                phrases[surface] = GeoEntry("country", code, weight, surface)
        for surface in row["names"]:
            phrases[surface] = GeoEntry("country", code, NAME_WEIGHT, surface)
    for surface, area in region_aliases.items():
        phrases[surface] = GeoEntry("region", area, NAME_WEIGHT, surface)
    for surface in data["blocked"]:
        phrases[surface] = GeoEntry("blocked", "", 0.0, surface)
    return Gazetteer(
        names={row["code"]: row["name"] for row in data["countries"]},
        areas={row["code"]: row["m49"] for row in data["countries"]},
        index=PhraseIndex(phrases),
        ambiguity=_ambiguity(data),
    )


def _scan(gaz: Gazetteer, parts: dict[str, Tokens]) -> Iterator[Hit]:
    for source, tokens in parts.items():
        for start, size, entry in gaz.index.scan(tokens.words):
            if entry.kind != "blocked":
                yield Hit(source, tokens, start, size, entry)


def _is_person(hit: Hit, rules: Ambiguity) -> bool:
    """A name read as a person: "Michael Jordan", "Chad Johnson", "Denzel Washington"."""
    sides = rules.person_like.get(hit.entry.surface, frozenset())
    words, before, after = hit.tokens.words, hit.start - 1, hit.start + hit.size
    if "before" in sides and hit.tokens.glued(before) and words[before] in rules.given_names:
        return True
    if "after" in sides and after < len(words) and hit.tokens.glued(after - 1):
        follower = words[after]
        return follower[:1].isupper() and not follower.isupper()
    return False


_CONTEXTUAL = frozenset({"Georgia", "Turkey"})


def _cue_count(words: set[str], cues: frozenset[str]) -> int:
    return len(words & cues)


def _resolve(hits: list[Hit], parts: dict[str, Tokens], rules: Ambiguity) -> Iterator[Hit]:
    """Drop people and turkeys; send Georgia to the US when the story is about the state."""
    persons = {hit.entry.surface for hit in hits if _is_person(hit, rules)}
    # The cue words are only collected when a context-dependent name occurs (a rare case).
    contextual = any(hit.entry.surface in _CONTEXTUAL for hit in hits)
    words = {w for tokens in parts.values() for w in tokens.words} if contextual else set()
    lowered = {w.lower() for w in words}
    georgia_is_us = _cue_count(words, rules.georgia_us) > _cue_count(words, rules.georgia_ge)
    turkey_is_food = bool(lowered & rules.turkey_food) and not words & rules.turkey_tr
    for hit in hits:
        surface = hit.entry.surface
        if surface in persons or (surface == "Turkey" and turkey_is_food):
            continue
        if surface == "Georgia" and georgia_is_us:
            entry = GeoEntry("country", "US", CITY_WEIGHT, surface)
            yield Hit(hit.source, hit.tokens, hit.start, hit.size, entry)
            continue
        yield hit


def gather(gaz: Gazetteer, parts: dict[str, Tokens]) -> dict[str, Evidence]:
    """Evidence per country code and per region label code named in the text."""
    evidence: dict[str, Evidence] = {}
    for hit in _resolve(list(_scan(gaz, parts)), parts, gaz.ambiguity):
        ev = evidence.setdefault(hit.entry.code, Evidence())
        ev.weight += hit.entry.weight
        ev.mentions += 1
        bonus = {"title": TITLE_BONUS, "dateline": DATELINE_BONUS}.get(hit.source, 0.0)
        if bonus and not ev.anchored:
            ev.weight += bonus
            ev.anchored = True
    return evidence


def subjects(evidence: dict[str, Evidence]) -> dict[str, float]:
    """Codes that are subjects of the story, scored by evidence relative to the strongest."""
    kept = {c: ev for c, ev in evidence.items() if ev.anchored or ev.mentions >= MIN_MENTIONS}
    if not kept:
        return {}
    top = max(ev.weight for ev in kept.values())
    scores = {code: round(ev.weight / top, 3) for code, ev in kept.items()}
    return {code: score for code, score in scores.items() if score >= MIN_RELATIVE}


def country_labels(gaz: Gazetteer, scores: dict[str, float]) -> list[Label]:
    """Country labels (ISO 3166-1 alpha-2), best first."""
    ranked = sorted(
        ((code, score) for code, score in scores.items() if code in gaz.names),
        key=lambda item: (-item[1], item[0]),
    )
    return [Label(code=code, name=gaz.names[code], score=score) for code, score in ranked]
