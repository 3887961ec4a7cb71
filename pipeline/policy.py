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
    # Word n-grams: 5 words rarely repeat across unrelated stories, and a copy edit costs 5.
    shingle_words: int = 5
    # Shorter texts are matched exactly only: a few shared sentences would say nothing.
    similarity_min_words: int = 50
    # Same story when the estimated Jaccard reaches min_jaccard, or when it reaches
    # jaccard_floor and the smaller text is mostly inside the other (truncated or updated copies).
    min_jaccard: float = 0.5
    min_containment: float = 0.8
    jaccard_floor: float = 0.2
    # Hash buckets per index generation: sized so 1M articles keep Redis's compact encoding.
    index_buckets: int = 262_144
