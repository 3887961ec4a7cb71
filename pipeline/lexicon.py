"""Tokenising and phrase lookup shared by the classify stage's lexicon models."""

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Generic, TypeVar

V = TypeVar("V")

# Dotted acronyms ("U.S.", "U.N.") stay one token; everything else splits on non-letters/digits,
# so "Moscow's" gives "Moscow", "s" and "Guinea-Bissau" gives "Guinea", "Bissau".
_TOKEN = re.compile(r"(?:[A-Z]\.){2,}|[^\W_]+")

# A run of this many all-caps tokens is shouting (a headline or a quoted post), not acronyms.
_SHOUT_RUN = 3


def tokenize(text: str) -> list[str]:
    """Split text into case-preserving word tokens."""
    return _TOKEN.findall(text)


@dataclass(frozen=True)
class Tokens:
    """Word tokens of a text; the matches are kept to check what separates two neighbours."""

    words: list[str]
    text: str = ""
    matches: tuple[re.Match[str], ...] = ()

    def glued(self, left: int) -> bool:
        """Whether words[left] and words[left + 1] are separated by spaces only (no punctuation)."""
        if not 0 <= left < len(self.matches) - 1:
            return False
        gap = self.text[self.matches[left].end() : self.matches[left + 1].start()]
        return not gap.strip()


def tokenize_text(text: str, *, datelike: bool = False) -> Tokens:
    """Tokenise a text for the lexicon models: shouting lower-cased, datelines title-cased."""
    matches = tuple(_TOKEN.finditer(text))
    words = [m.group() for m in matches]
    words = titlecase(words) if datelike else unshout(words)
    return Tokens(words, text, matches)


def _is_caps(token: str) -> bool:
    return len(token) > 1 and token.isupper()


def unshout(tokens: Sequence[str]) -> list[str]:
    """Lower-case tokens inside runs of all-caps words, so proper-noun lookups skip them."""
    out = list(tokens)
    caps = [len(tok) > 1 and tok.isupper() for tok in out]
    if sum(caps) < _SHOUT_RUN:
        return out
    run = 0
    for i, is_caps in enumerate([*caps, False]):
        if is_caps:
            run += 1
            continue
        if run >= _SHOUT_RUN:
            out[i - run : i] = [tok.lower() for tok in out[i - run : i]]
        run = 0
    return out


def titlecase(tokens: Sequence[str]) -> list[str]:
    """Turn an all-caps dateline ("NEW YORK") into proper-noun case ("New York")."""
    return [
        tok.capitalize() if tok.isupper() and len(tok) > 2 and "." not in tok else tok
        for tok in tokens
    ]


# Words whose final "s" is not a plural ending.
_NOT_PLURAL = frozenset({"news", "series", "species", "christmas", "texas", "lens", "chaos"})
_KEEP_S = ("ss", "us", "is", "ics", "ous")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Lower-case a word and strip a plural ending, the only inflection topic cues need."""
    low = word.lower()
    if len(low) <= 3 or not low.endswith("s") or low in _NOT_PLURAL or low.endswith(_KEEP_S):
        return low
    if len(low) > 4 and low.endswith("ies"):
        return low[:-3] + "y"
    return low[:-1]


def stem_all(tokens: Sequence[str]) -> list[str]:
    """Stem every token."""
    return [stem(tok) for tok in tokens]


class PhraseIndex(Generic[V]):
    """Longest-match lookup of token n-grams: one pass over the text, dictionary hits only."""

    def __init__(self, phrases: Mapping[str, V]) -> None:
        self._table: dict[str, V] = {}
        self._longest: dict[str, int] = {}
        for phrase, value in phrases.items():
            self.add(tokenize(phrase), value)

    def add(self, tokens: Sequence[str], value: V) -> None:
        """Register a phrase given as tokens (later values for the same phrase win)."""
        if not tokens:
            return
        self._table[" ".join(tokens)] = value
        first = tokens[0]
        self._longest[first] = max(self._longest.get(first, 0), len(tokens))

    def scan(self, tokens: Sequence[str]) -> Iterator[tuple[int, int, V]]:
        """Yield (start, length, value) for each longest, non-overlapping phrase match."""
        i, count, longest_of, table = 0, len(tokens), self._longest, self._table
        while i < count:
            token = tokens[i]
            longest = longest_of.get(token)
            step = 1
            if longest is not None:
                for size in range(min(longest, count - i), 1, -1):
                    value = table.get(" ".join(tokens[i : i + size]))
                    if value is not None:
                        yield i, size, value
                        step = size
                        break
                else:
                    # Most hits are single words: look them up without slicing and joining.
                    value = table.get(token)
                    if value is not None:
                        yield i, 1, value
            i += step

    def __len__(self) -> int:
        return len(self._table)
