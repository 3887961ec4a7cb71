"""Per-stage settings sections: each stage receives only its own."""

from dataclasses import dataclass


@dataclass(frozen=True)
class FetchPolicy:
    """How the fetcher talks to the network."""

    connect_timeout: float = 5.0
    read_timeout: float = 15.0
    total_timeout: float = 30.0
    max_bytes: int = 5_000_000
    max_redirects: int = 5
    user_agent: str = "wire-ingest/0.1 (+https://github.com/wire-ingest/wire-ingest)"
    allow_private_networks: bool = False


@dataclass(frozen=True)
class CleanLimits:
    """Bounds on what the clean stage accepts."""

    min_words: int = 30
    max_html_bytes: int = 5_000_000


@dataclass(frozen=True)
class DedupPolicy:
    """How long dedup keys live and when texts count as one story."""

    retention_seconds: int = 30 * 86_400
    # Word 4-grams: rare across unrelated stories, and a copy edit breaks only four of them.
    # Set with the rule below on the open development set (docs/decisions.md, Deduplication).
    shingle_words: int = 4
    # Shorter texts are matched exactly only: a few shared sentences would say nothing.
    similarity_min_words: int = 40
    # Same story when the estimated Jaccard reaches min_jaccard, or when it reaches
    # jaccard_floor and half the smaller text is inside the other (truncated or updated copies).
    min_jaccard: float = 0.5
    min_containment: float = 0.5
    jaccard_floor: float = 0.15
    # Hash buckets per index generation: sized so 1M articles keep Redis's compact encoding.
    index_buckets: int = 262_144
