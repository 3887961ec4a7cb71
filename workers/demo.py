"""`wire demo`: local outlets serve a bundled sample; it is ingested end to end and shown."""

from pathlib import Path

from sqlalchemy import select

from config.settings import get_settings
from pipeline import registry
from pipeline.models import ArticleRow, LabelRow
from workers import fleet
from workers.cli_fleet import prepare
from workers.ingest import print_summary, run_once
from workers.resources import resources
from workers.sample_sites import load_sites, serve

MANIFEST = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "demo" / "manifest.yaml"
# The sample lives on loopback addresses, which the fetcher refuses unless told otherwise.
DEMO_ENV = {"WIRE_ALLOW_PRIVATE_NETWORKS": "true", "WIRE_HOST_DELAY_SECONDS": "0.1"}


def _stored(feed_urls: list[str]) -> list[tuple[ArticleRow, list[str], list[str]]]:
    with resources().sessions() as session:
        rows = list(session.scalars(
            select(ArticleRow).where(ArticleRow.feed_url.in_(feed_urls))
            .order_by(ArticleRow.story_id, ArticleRow.published_at)
        ))  # fmt: skip
        labels = session.execute(
            select(LabelRow.article_id, LabelRow.kind, LabelRow.code)
            .where(LabelRow.article_id.in_([r.id for r in rows]))
            .order_by(LabelRow.score.desc())
        ).all()
    out = []
    for row in rows:
        topics = [c for a, k, c in labels if a == row.id and k == "topic"]
        countries = [c for a, k, c in labels if a == row.id and k == "country"]
        out.append((row, topics, countries))
    return out


def print_articles(feed_urls: list[str]) -> int:
    """A table of the demo's stored articles; returns how many there are."""
    rows = _stored(feed_urls)
    print(f"\n{'story':10} {'site':22} {'agency':8} {'published':16} {'topics':18} "
          f"{'countries':12} title / authors")  # fmt: skip
    for row, topics, countries in rows:
        published = row.published_at.isoformat()[:16] if row.published_at else "-"
        print(f"{row.story_id[:8]:10} {(row.site_name or '-')[:22]:22} {row.agency or '-':8} "
              f"{published:16} {','.join(t.removeprefix('medtop:') for t in topics[:2]):18} "
              f"{','.join(countries[:4]):12} {(row.title or '')[:60]}")  # fmt: skip
        print(f"{'':10} {'':22} {'':8} {'':16} {'':18} {'':12} {', '.join(row.authors) or '-'}")
    stories = len({row.story_id for row, _, _ in rows})
    print(f"\n{len(rows)} articles stored in {stories} stories")
    return len(rows)


def run_demo() -> int:
    """Serve the sample, ingest it with local workers, print what was stored."""
    settings = get_settings()
    prepare(settings)
    sites = load_sites(MANIFEST)
    with serve(sites), fleet.embedded_redis(settings):
        urls = [f"{site.base_url}/feed.xml" for site in sites]
        with resources().sessions.begin() as session:
            registry.add_feeds(session, urls, settings.poll_interval_seconds)
            ids = registry.feed_ids(session, urls)
        result = run_once(settings, ids, local_workers=True, timeout=600, env=DEMO_ENV)
        with resources().sessions.begin() as session:
            # The sample's servers are gone after the demo: keep its articles, not its feeds.
            for url in urls:
                registry.remove_feed(session, url)
    print_summary(result)
    stored = print_articles(urls)
    return 0 if result.finished and result.errors == 0 and stored > 0 else 1
