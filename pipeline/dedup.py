"""The dedup stage: exact duplicates (canonical URL, normalised text) and near duplicates."""

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from pipeline.errors import Drop
from pipeline.minhash import Signature, signature
from pipeline.policy import DedupPolicy
from pipeline.records import Article, DedupVerdict

_NON_WORD = re.compile(r"[^\w]+")
# Wire sign-offs ("(Reporting by …; Editing by …)") are credits, kept by some outlets only.
_SIGN_OFF = re.compile(r"^\(?\s*(additional )?(reporting|writing|editing|compiled) by\b", re.I)
# Subheadings ("PEACE DEAL?") are dropped by some republishers: they do not make a story.
MIN_PARAGRAPH_WORDS = 5


@dataclass(frozen=True)
class Fingerprint:
    """The article's index keys: canonical URL, normalised text and (long texts) a signature."""

    url_key: str
    text_key: str
    signature: Signature | None


@dataclass(frozen=True)
class Claim:
    """The index's answer for one item."""

    story_id: str
    duplicate_of: str | None
    reason: str
    similarity: float | None = None
    seen_at: datetime | None = None


class DedupIndex(Protocol):
    """The fleet-wide index of seen URLs, texts and signatures (Redis in production)."""

    def claim(self, item_id: str, fingerprint: Fingerprint, policy: DedupPolicy) -> Claim:
        """Query and record the item in one atomic step.

        The same item claimed twice gets the same answer, so the stage can run again.
        """
        ...


def normalise_text(text: str) -> str:
    """Case, accents of compatibility forms, punctuation and spacing folded away."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(_NON_WORD.sub(" ", folded).split())


def story_paragraphs(text: str) -> list[str]:
    """The normalised paragraphs that carry the story: no subheadings, no wire sign-offs."""
    kept = []
    for paragraph in text.splitlines():
        words = normalise_text(paragraph)
        if len(words.split()) >= MIN_PARAGRAPH_WORDS and not _SIGN_OFF.match(paragraph.strip()):
            kept.append(words)
    return kept


def _kept_paragraphs(text: str) -> list[str]:
    """The story's paragraphs, or the whole normalised text when none qualifies."""
    return story_paragraphs(text) or [normalise_text(text)]


def _paragraphs_hash(paragraphs: list[str]) -> str:
    return hashlib.sha256("\n".join(paragraphs).encode()).hexdigest()


def text_hash(text: str) -> str:
    """A hash of the story's paragraphs: equal for copies that differ only in form and wrapping."""
    return _paragraphs_hash(_kept_paragraphs(text))


def url_hash(canonical_url: str) -> str:
    """A hash of the canonical URL, short enough for a Redis key."""
    return hashlib.sha256(canonical_url.encode()).hexdigest()[:32]


def story_words(text: str) -> list[str]:
    """The normalised words of the story's paragraphs (the whole text when none qualifies)."""
    return " ".join(_kept_paragraphs(text)).split()


def fingerprint(article: Article, policy: DedupPolicy) -> Fingerprint:
    """The keys the index is asked about; short texts get no similarity signature."""
    # The paragraphs once for both keys: normalising them is a fifth of the fingerprint's time.
    paragraphs = _kept_paragraphs(article.text)
    words = " ".join(paragraphs).split()
    long_enough = len(words) >= policy.similarity_min_words
    return Fingerprint(
        url_key=url_hash(article.canonical_url),
        text_key=_paragraphs_hash(paragraphs),
        signature=signature(words, policy.shingle_words) if long_enough else None,
    )


def dedup(article: Article, index: DedupIndex, policy: DedupPolicy) -> DedupVerdict:
    """Place the article in its story, or drop it when its URL was stored under another item."""
    keys = fingerprint(article, policy)
    claim = index.claim(article.item_id, keys, policy)
    if claim.reason == "same-url":
        raise Drop("duplicate-url", f"{article.canonical_url} is item {claim.duplicate_of}")
    return DedupVerdict(
        story_id=claim.story_id,
        duplicate_of=claim.duplicate_of,
        text_hash=keys.text_key,
        reason=claim.reason,
        similarity=claim.similarity,
        seen_at=claim.seen_at,
    )
