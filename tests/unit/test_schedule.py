"""The poll schedule: adaptive intervals, publisher cache hints, graded failure backoff."""

from datetime import UTC, datetime

import pytest

from pipeline.schedule import (
    CacheHints,
    SchedulePolicy,
    failure_interval,
    failure_weight,
    feed_hints,
    http_hints,
    merge,
    next_interval,
    parse_history,
    record_new,
)

POLICY = SchedulePolicy(min_interval=300, max_interval=86_400, failure_max_interval=21_600)
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
NONE = CacheHints()


def test_three_quiet_polls_lengthen_the_interval() -> None:
    assert next_interval(900, [0, 0, 0], 20, NONE, POLICY) == 1350


def test_many_new_entries_per_poll_shorten_the_interval() -> None:
    assert next_interval(900, [8, 8, 8], 20, NONE, POLICY) == 450


def test_about_two_new_entries_per_poll_keep_the_interval() -> None:
    assert next_interval(900, [2, 2, 2], 20, NONE, POLICY) == 900


def test_a_poll_where_every_entry_was_new_halves_the_interval() -> None:
    assert next_interval(3600, [0, 1, 10], 10, NONE, POLICY) == 1800


def test_interval_stays_within_the_bounds() -> None:
    assert next_interval(310, [50, 50], 100, NONE, POLICY) == 300
    assert next_interval(80_000, [0, 0, 0], 20, NONE, POLICY) == 86_400


def test_cache_hints_are_a_floor_capped_at_the_maximum() -> None:
    assert next_interval(300, [9, 9], 20, CacheHints(ttl=3600), POLICY) == 3600
    assert next_interval(300, [9, 9], 20, CacheHints(max_age=10**7), POLICY) == 86_400


def test_history_keeps_the_last_eight_polls() -> None:
    history = None
    for count in range(10):
        history = record_new(history, count)
    assert parse_history(history) == [2, 3, 4, 5, 6, 7, 8, 9]


def test_http_hints_read_max_age_expires_and_retry_after() -> None:
    hints = http_hints({"cache-control": "public, max-age=600", "retry-after": "120"}, NOW)
    assert (hints.max_age, hints.retry_after, hints.expires) == (600.0, 120.0, None)
    expires = http_hints({"expires": "Sun, 29 Nov 2026 13:00:00 GMT"}, NOW)
    assert expires.expires == 3600.0


@pytest.mark.parametrize(
    "headers",
    [{"cache-control": "no-cache, max-age=600"}, {"expires": "0"}, {"expires": "yesterday"}],
)
def test_http_hints_ignore_no_cache_and_invalid_expires(headers: dict[str, str]) -> None:
    assert http_hints(headers, NOW).floor() == 0.0


def test_feed_hints_read_rss_ttl_and_syndication_period() -> None:
    assert feed_hints("60", None, None).ttl == 3600
    assert feed_hints(None, "hourly", "2").update_period == 1800
    assert feed_hints(None, "daily", None).update_period == 86_400
    assert feed_hints("soon", "whenever", "x") == CacheHints()


def test_merge_keeps_the_longest_of_each_hint() -> None:
    merged = merge(CacheHints(ttl=60, max_age=10), CacheHints(ttl=120))
    assert (merged.ttl, merged.max_age) == (120, 10)
    assert merged.floor() == 120


def test_permanent_failures_weigh_more_than_passing_ones() -> None:
    assert failure_weight("http-404") > failure_weight("http-403") > failure_weight("timeout")
    assert failure_weight("not-a-feed") == failure_weight("xml-entities") == 3.0


def test_failure_backoff_doubles_per_point_and_is_capped() -> None:
    assert failure_interval(900, 1.0, None, POLICY) == 1800
    assert failure_interval(900, 3.0, None, POLICY) == 7200
    assert failure_interval(900, 40.0, None, POLICY) == 21_600


def test_failure_backoff_honours_a_longer_retry_after() -> None:
    assert failure_interval(300, 1.0, 5000.0, POLICY) == 5000
