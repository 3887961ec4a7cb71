"""The dedup stage: exact duplicates by canonical URL and by normalised text."""

import hashlib
import re
import unicodedata
from typing import Protocol

from pipeline.errors import Drop
from pipeline.policy import DedupPolicy
from pipeline.records import Article, DedupVerdict

_NON_WORD = re.compile(r"[^\w]+")
# Wire sign-offs ("(Reporting by …; Editing by …)") are credits, kept by some outlets only.
_SIGN_OFF = re.compile(r"^\(?\s*(additional )?(reporting|writing|editing|compiled) by\b", re.I)
# Subheadings ("PEACE DEAL?") are dropped by some republishers: they do not make a story.
MIN_PARAGRAPH_WORDS = 5


class DedupIndex(Protocol):
    """The fleet-wide index of seen URLs and texts (Redis in production)."""

    def claim(
        self, item_id: str, url_key: str, text_key: str, ttl_seconds: int
    ) -> tuple[str, str | None, str]:
        """Record the item atomically; return (story_id, duplicate_of, reason).

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


def text_hash(text: str) -> str:
    """A hash of the story's paragraphs: equal for copies that differ only in form and wrapping."""
    paragraphs = story_paragraphs(text) or [normalise_text(text)]
    return hashlib.sha256("\n".join(paragraphs).encode()).hexdigest()


def url_hash(canonical_url: str) -> str:
    """A hash of the canonical URL, short enough for a Redis key."""
    return hashlib.sha256(canonical_url.encode()).hexdigest()[:32]


def dedup(article: Article, index: DedupIndex, policy: DedupPolicy) -> DedupVerdict:
    """Place the article in its story, or drop it when its URL was stored under another item."""
    digest = text_hash(article.text)
    story_id, duplicate_of, reason = index.claim(
        article.item_id, url_hash(article.canonical_url), digest, policy.retention_seconds
    )
    if reason == "same-url":
        raise Drop("duplicate-url", f"{article.canonical_url} is item {duplicate_of}")
    return DedupVerdict(
        story_id=story_id, duplicate_of=duplicate_of, text_hash=digest, reason=reason
    )
