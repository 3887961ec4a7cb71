"""Poison input at each stage: a counted drop or a dead letter, with a reason; the rest goes on."""

import time
from pathlib import Path

from pipeline.db import upgrade
from tests.chaos.harness import (
    Fleet,
    Ledger,
    PersistentRedis,
    Run,
    dead_letters,
    running,
    stored_urls,
    worker_env,
)
from tests.chaos.sites import XML_BOMB, NewsSite, serve
from workers.stats import Stats

HTML = "text/html; charset=utf-8"
LONG_TEXT = "".join(
    f"<p>Paragraph {i} of a very long wire report on the harbour strike and the budget.</p>"
    for i in range(26_000)
).encode()  # about 2 MB of text for the classifier
POISON = {
    "/news/undecodable": (HTML, bytes(range(256)) * 400),
    "/news/empty": (HTML, b""),
    "/news/huge": (HTML, b"<html><body>" + b"x" * 50_000_000 + b"</body></html>"),
    "/news/two-megabytes": (HTML, b"<html><body><article>%s</article></body></html>" % LONG_TEXT),
    "/bomb.xml": ("application/rss+xml", XML_BOMB),
}


def test_poison_at_each_stage_is_recorded_and_every_other_article_is_stored(
    chaos_redis: PersistentRedis, tmp_path: Path
) -> None:
    database = f"sqlite:///{tmp_path / 'wire.db'}"
    upgrade(database)
    env = worker_env(chaos_redis.url, database, tmp_path / "var", WIRE_RETRY_MAX="1")
    run, fleet = Run(env), Fleet(env, tmp_path / "logs")
    with serve(NewsSite(feeds=2, per_feed=20, poison=POISON)) as site, running(fleet, "io", "cpu"):
        run.send_polls([*site.feed_urls(), f"{site.base_url}/bomb.xml"])
        started = time.monotonic()
        assert run.wait(300), f"still in flight: {run.in_flight()}"
        stats = Stats(run.redis())
        counts, reasons = stats.read(run.run_id), stats.reasons(run.run_id)
        ledger = Ledger.count("poison-input", site.article_urls(), stored_urls(database),
                              time.monotonic() - started)  # fmt: skip
    ledger.record()
    print(reasons, dead_letters(database))
    assert (ledger.lost, ledger.duplicated) == (0, 0)
    stored = set(stored_urls(database))
    for path in ("/news/undecodable", "/news/empty", "/news/huge"):
        assert site.base_url + path not in stored
    assert reasons.get("fetch:dropped:too-large") == 1
    assert reasons.get("poll:dropped:xml-entities") == 1
    # Four poison pages entered fetch; each left the pipeline with a reason, or was stored.
    ends = sum(v for k, v in reasons.items() if ":dropped:" in k or ":failed:" in k)
    two_mb_stored = site.base_url + "/news/two-megabytes" in stored
    assert ends - 1 + int(two_mb_stored) + len(dead_letters(database)) >= 4
    assert sum(counts.get(stage, "error") for stage in ("fetch", "clean", "classify")) == 0
