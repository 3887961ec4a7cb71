"""Generate pipeline/data/iptc_topics.json from the IPTC Media Topic taxonomy and curated cues.

Usage: python scripts/build_topic_lexicon.py [path/to/iptc_mapping.json]

Only the taxonomy (IPTC Media Topics, CC BY 4.0), the hand-written cues in
scripts/topic_cues.json and their GloVe neighbours in scripts/topic_neighbours.json (made by
scripts/build_topic_neighbours.py) go in; no labelled news corpus is read.
"""

import json
import math
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from pipeline.lexicon import stem_all, tokenize

ROOT = Path(__file__).resolve().parent.parent
TAXONOMY = Path("/work/shared/corpus/topics/iptc_mediatopic/iptc_mapping.json")
CUES = Path(__file__).resolve().parent / "topic_cues.json"
NEIGHBOURS = Path(__file__).resolve().parent / "topic_neighbours.json"
OUT = ROOT / "pipeline" / "data" / "iptc_topics.json"
VERSION = "1.2.0"

# Curated cues outweigh taxonomy-derived terms: a hand-picked cue is evidence, a definition word
# a hint.
STRONG, WEAK, DERIVED_MAX = 2.0, 1.0, 1.0
NAME_TF, DEFINITION_TF = 3, 1
# A taxonomy word shared by more than this many of the 17 topics says little about any of them.
MAX_DF = 3

STOPWORDS = frozenset(
    str.split(
        """a about above according across after against all also among an and any are as at be been
    before being between both but by can could do does during e each eg either etc for from g had
    has have having how i ie in including into involving is it its may more most much must no non
    not of on one or other others out over part per related relating relation such than that the
    their them these they this those through to under up upon use used using various very was way
    ways well were what when where whether which while who whom whose will with within without
    would activity activities affair affairs area areas aspect aspects concerning event events
    field form forms general generally group groups individual individuals issue issues kind kinds
    matter matters news often organisation organization organisations organizations people person
    practice practices specific story stories subject subjects topic topics type types usually
    variety whole include includes involve involves based different particular certain new like
    two three many own same range set sort take taken make made given
        his her him she he you your get there then day days down first off four five six seven
        nine ten best move moving once far fast find give hold put try trying told follow
        following need possible overall late early major minor main multiple full hard back
        behind toward via middle present regular real special specially typically primarily
        allowed available cannot addition amount basis basic base cause caused concern consist
        consisting exist fact found founded line mark marked name ongoing outcome position word
        statement report reporting section site size stand standing started status variation
        varying regard depending defined derived determine identify choose choosing decide
        obtain 1st 2nd hand head model year month daily weekly annual century night single
        united american australian canadian chinese japanese china india african south eastern
        city county district"""
    )
)


def load_taxonomy(path: Path) -> dict[str, dict[str, Any]]:
    """Load the taxonomy (python json: the file has bare NaN) keeping only current codes."""
    raw: dict[str, dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    return {code: row for code, row in raw.items() if not isinstance(row["RetiredDate"], str)}


def words(text: object) -> list[str]:
    """Content words of a name or definition, stemmed."""
    if not isinstance(text, str):
        return []
    return [
        w for w in stem_all(tokenize(text)) if len(w) > 2 and not w.isdigit() and w not in STOPWORDS
    ]


def term_frequencies(taxonomy: dict[str, dict[str, Any]]) -> dict[str, Counter[str]]:
    """Per top-level topic, how often each word occurs in its descendants' names and definitions."""
    tf: dict[str, Counter[str]] = defaultdict(Counter)
    for row in taxonomy.values():
        top = row["Level1/NewsCode"]
        for word in words(row["Name (en-GB)"]):
            tf[top][word] += NAME_TF
        for word in words(row["Definition (en-GB)"]):
            tf[top][word] += DEFINITION_TF
    return tf


def derived_weights(tf: dict[str, Counter[str]]) -> dict[str, dict[str, float]]:
    """IDF-like weights across the top-level topics, capped below the curated cues."""
    df = Counter(word for counts in tf.values() for word in counts)
    n_topics = len(tf)
    terms: dict[str, dict[str, float]] = defaultdict(dict)
    for top, counts in tf.items():
        for word, count in counts.items():
            if df[word] > MAX_DF or count < 2:
                continue
            idf = math.log(n_topics / df[word]) / math.log(n_topics)
            # Sub-linear in frequency: a word in ten definitions is surer, not ten times surer.
            weight = min(DERIVED_MAX, idf * (0.3 + 0.2 * math.log(count)))
            terms[word][top] = round(weight, 3)
    return terms


def name_phrases(taxonomy: dict[str, dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Multi-word topic names ("interest rate", "peace process") as phrases of their top topic."""
    phrases: dict[str, dict[str, float]] = defaultdict(dict)
    for row in taxonomy.values():
        tokens = stem_all(tokenize(str(row["Name (en-GB)"])))
        if 2 <= len(tokens) <= 3 and not set(tokens) & {"and", "or", "of"}:
            phrases[" ".join(tokens)][row["Level1/NewsCode"]] = WEAK
    return phrases


def curated(path: Path) -> dict[str, dict[str, float]]:
    """The hand-written cue lists, stemmed like the text they will meet."""
    raw: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    terms: dict[str, dict[str, float]] = defaultdict(dict)
    for top, tiers in raw.items():
        if top.startswith("_"):
            continue
        for tier, weight in (("strong", STRONG), ("weak", WEAK)):
            for cue in tiers[tier]:
                key = " ".join(stem_all(tokenize(cue)))
                terms[key][top] = max(weight, terms[key].get(top, 0.0))
    return terms


def merge(*tables: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    """Combine term tables, keeping the larger weight for each term and topic."""
    merged: dict[str, dict[str, float]] = defaultdict(dict)
    for table in tables:
        for term, weights in table.items():
            for top, weight in weights.items():
                merged[term][top] = max(weight, merged[term].get(top, 0.0))
    return dict(sorted(merged.items()))


def with_neighbours(terms: dict[str, dict[str, float]], path: Path) -> dict[str, dict[str, float]]:
    """Add the cues' GloVe neighbours, only for words the taxonomy and the cues leave out."""
    near: dict[str, dict[str, float]] = json.loads(path.read_text(encoding="utf-8"))["terms"]
    return dict(sorted({**near, **terms}.items()))


def level2_names(taxonomy: dict[str, dict[str, Any]]) -> dict[str, dict[str, str]]:
    """Current second-level topics: name and top-level parent."""
    return {
        code: {"name": str(row["Name (en-GB)"]), "parent": str(row["Level1/NewsCode"])}
        for code, row in taxonomy.items()
        if row["Level2/NewsCode"] == code
    }


def level2_terms(taxonomy: dict[str, dict[str, Any]], path: Path) -> dict[str, dict[str, float]]:
    """Second-level evidence: names of each level-2 topic and its descendants, and curated cues."""
    terms: dict[str, dict[str, float]] = defaultdict(dict)
    for row in taxonomy.values():
        level2 = row["Level2/NewsCode"]
        tokens = stem_all(tokenize(str(row["Name (en-GB)"])))
        # A short name ("diplomacy", "civil war") is a phrase a story uses; a long one is not.
        if isinstance(level2, str) and 1 <= len(tokens) <= 3 and tokens[0] not in STOPWORDS:
            terms[" ".join(tokens)][level2] = WEAK
    cues: dict[str, list[str]] = json.loads(path.read_text(encoding="utf-8"))["_level2"]
    for code, words_ in cues.items():
        for cue in words_ if code.startswith("medtop:") else []:
            terms[" ".join(stem_all(tokenize(cue)))][code] = STRONG
    return dict(sorted(terms.items()))


def main() -> None:
    """Build and write the lexicon."""
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else TAXONOMY
    taxonomy = load_taxonomy(source)
    tops = {c: str(r["Name (en-GB)"]) for c, r in taxonomy.items() if c == r["Level1/NewsCode"]}
    terms = merge(
        derived_weights(term_frequencies(taxonomy)), name_phrases(taxonomy), curated(CUES)
    )
    terms = with_neighbours(terms, NEIGHBOURS)
    payload = {
        "version": VERSION,
        "source": "IPTC Media Topics (Oct 2023), CC BY 4.0, https://iptc.org/standards/media-topics/"
        "; GloVe 6B 50d (Stanford NLP), PDDL 1.0",
        "topics": dict(sorted(tops.items())),
        "terms": terms,
        "subtopics": dict(sorted(level2_names(taxonomy).items())),
        "subterms": level2_terms(taxonomy, CUES),
    }
    OUT.write_text(json.dumps(payload, ensure_ascii=False, separators=(",", ":")) + "\n", "utf-8")
    print(f"wrote {OUT}: {len(tops)} topics, {len(terms)} terms")


if __name__ == "__main__":
    main()
