"""When to poll a feed next: adaptive intervals, cache hints and graded failure backoff."""

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from pipeline.http import parse_retry_after

# sy:updatePeriod values (RSS 1.0 syndication module) in seconds.
_PERIODS = {"hourly": 3600, "daily": 86_400, "weekly": 604_800, "monthly": 2_592_000}
_PERIODS["yearly"] = 365 * 86_400
_MAX_AGE = re.compile(r"(?:^|[,\s])(?:s-)?max-age\s*=\s*\"?(\d+)", re.IGNORECASE)

# How much one failure weighs: a failure that will not heal by itself (gone, not a feed, refused)
# counts three times a passing one (timeout, DNS, 5xx), as Media Cloud's rss-fetcher grades them.
HEAVY_FAILURES = frozenset(
    {"http-404", "http-410", "not-a-feed", "blocked-address", "bad-url", "xml-entities",
     "too-large", "too-many-redirects", "bad-content-encoding", "parse-error"}
)  # fmt: skip
MEDIUM_FAILURES = frozenset({"http-401", "http-403", "http-451"})
HISTORY = 8  # polls of new-entry counts the interval is adapted from


@dataclass(frozen=True)
class SchedulePolicy:
    """Bounds of the polling schedule."""

    min_interval: int = 300
    max_interval: int = 86_400
    failure_max_interval: int = 6 * 3600


@dataclass(frozen=True)
class CacheHints:
    """What the server and the feed said about how long the document stays fresh (seconds)."""

    retry_after: float | None = None
    max_age: float | None = None
    expires: float | None = None
    ttl: float | None = None
    update_period: float | None = None

    def floor(self) -> float:
        """The longest freshness any hint asks for: polling sooner would be impolite."""
        values = (self.retry_after, self.max_age, self.expires, self.ttl, self.update_period)
        return max((v for v in values if v is not None), default=0.0)


def failure_weight(reason: str) -> float:
    """How much a failure of this kind adds to a feed's failure score."""
    if reason in HEAVY_FAILURES:
        return 3.0
    if reason in MEDIUM_FAILURES:
        return 2.0
    return 1.0


def http_hints(headers: dict[str, str], now: datetime | None = None) -> CacheHints:
    """Cache hints of the response headers: Retry-After, Cache-Control max-age, Expires."""
    moment = now or datetime.now(UTC)
    match = _MAX_AGE.search(headers.get("cache-control", ""))
    no_cache = "no-cache" in headers.get("cache-control", "").lower()
    return CacheHints(
        retry_after=parse_retry_after(headers.get("retry-after"), moment),
        max_age=float(match.group(1)) if match and not no_cache else None,
        expires=None if match else _expires(headers.get("expires"), moment),
    )


def feed_hints(ttl: str | None, period: str | None, frequency: str | None) -> CacheHints:
    """Cache hints of the feed document: RSS <ttl> (minutes), sy:updatePeriod/updateFrequency."""
    minutes = _number(ttl)
    seconds = _PERIODS.get((period or "").strip().lower())
    times = _number(frequency) or 1.0
    return CacheHints(
        ttl=minutes * 60 if minutes else None,
        update_period=seconds / times if seconds and times > 0 else None,
    )


def merge(*hints: CacheHints) -> CacheHints:
    """One set of hints from several (the longest of each kind wins)."""

    def top(name: str) -> float | None:
        values = [getattr(h, name) for h in hints if getattr(h, name) is not None]
        return max(values) if values else None

    names = ("retry_after", "max_age", "expires", "ttl", "update_period")
    return CacheHints(**{name: top(name) for name in names})


def record_new(history: str | None, new_entries: int) -> str:
    """The new-entry history with this poll's count appended (the last HISTORY polls)."""
    counts = [*parse_history(history), new_entries][-HISTORY:]
    return ",".join(str(c) for c in counts)


def parse_history(history: str | None) -> list[int]:
    """The new-entry counts of the recent polls, oldest first."""
    return [int(part) for part in (history or "").split(",") if part.strip().isdigit()]


def next_interval(
    interval: int, history: list[int], in_document: int, hints: CacheHints, policy: SchedulePolicy
) -> int:
    """The interval after a successful poll, from recent new-entry counts and cache hints."""
    last = history[-1] if history else 0
    if in_document and last >= in_document:
        proposed = interval / 2  # every entry was new: some were probably missed, poll sooner
    elif not any(history[-3:]):
        proposed = interval * 1.5  # three quiet polls: the feed is slower than we poll
    else:
        mean = sum(history) / len(history)
        # Aim for about two new entries per poll, moving at most x2 either way per step.
        proposed = interval * min(2.0, max(0.5, 2.0 / max(mean, 0.25)))
    proposed = max(proposed, hints.floor())
    return int(min(policy.max_interval, max(policy.min_interval, proposed)))


def failure_interval(
    interval: int, failure_score: float, retry_after: float | None, policy: SchedulePolicy
) -> int:
    """The wait after a failed poll: doubled per point of score, capped, never dropped."""
    backoff = interval * 2 ** min(failure_score, 16.0)
    wait = max(backoff, retry_after or 0.0, policy.min_interval)
    return int(min(wait, max(policy.failure_max_interval, interval)))


def _expires(value: str | None, now: datetime) -> float | None:
    if not value:
        return None
    try:
        when = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError):
        return None  # "Expires: 0" and other invalid dates mean "already stale" (RFC 9111 5.3)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds()) or None


def _number(value: str | None) -> float | None:
    try:
        number = float((value or "").strip())
    except ValueError:
        return None
    return number if number > 0 else None
