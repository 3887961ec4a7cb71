"""A syndication set for the dedup evaluation: wire stories republished by local outlets.

Stories are read at evaluation time from the shared corpus (Reuters-21578 and BBC News texts,
research use only: nothing here is copied into the repository). Each story is republished by
some of six outlets, each with its own chrome, tags, byline, dateline, credit line, headline
edits, truncation and copy edits; some stories are updated later (paragraphs added), moved to
a new URL with a new headline, or listed again under an AMP URL. Unrelated stories of the same
topics are the hard negatives, and every page carries teasers of other stories and a footer.
"""

import gzip
import html
import json
import random
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from workers.sample_sites import Page, Site

_REUTERS = re.compile(r"<REUTERS[^>]*>(.*?)</REUTERS>", re.S)
_TAG = {name: re.compile(rf"<{name}>(.*?)</{name}>", re.S) for name in
        ("TITLE", "DATELINE", "BODY", "TOPICS")}  # fmt: skip
_ENTITY = re.compile(r"&#\d+;")


@dataclass(frozen=True)
class Story:
    """One source story: the ground truth of a cluster."""

    key: str
    title: str
    paragraphs: list[str]
    topic: str
    agency: str
    dateline: str


@dataclass(frozen=True)
class Outlet:
    """A local outlet's habits."""

    name: str
    host: str
    keep: float  # share of paragraphs kept (truncation)
    edits: dict[str, str]
    headline: str  # a format with {t}
    credit: str
    dateline: bool
    teasers_inside: bool  # related teasers inside the article body (a trap for the cleaner)
    tags: list[str] = field(default_factory=list)


OUTLETS = [
    Outlet("Global Wire Daily", "127.0.0.11", 1.0, {}, "{t}", "", True, False, ["World"]),
    Outlet("Metro Courier", "127.0.0.12", 0.75, {" said ": " says ", " pct": " per cent"},
           "{t} - report", "This story has not been edited by Metro Courier staff and is "
           "auto-generated from a syndicated feed.", False, True, ["News", "Business"]),
    Outlet("The Valley Ledger", "127.0.0.13", 0.6, {" mln ": " million ", " dlrs": " dollars"},
           "{t}", "Copyright the wire agency. All rights reserved.", True, False,
           ["Markets", "Economy", "Top stories"]),
    Outlet("Harbour Times", "127.0.0.14", 1.0, {" U.S. ": " US ", "Ltd": "Limited"},
           "WATCH: {t}", "", False, True, ["Latest"]),
    Outlet("Northern Post", "127.0.0.15", 0.85, {" said on ": " said "}, "{t} | Wires",
           "Additional reporting by Northern Post staff.", True, False, ["Wires", "Money"]),
    Outlet("Riverside Bulletin", "127.0.0.16", 0.5, {" percent": "%", " pct": "%"},
           "{t}", "Read the full story at the agency's website.", False, False, ["Briefs"]),
]  # fmt: skip


def _clean(text: str) -> str:
    return " ".join(html.unescape(_ENTITY.sub(" ", text)).split())


def reuters_stories(folder: Path, min_words: int) -> list[Story]:
    """Reuters-21578 stories with a title and a body of enough words, paragraphs kept."""
    stories = []
    for path in sorted(folder.glob("reut2-*.sgm.gz")):
        raw = gzip.decompress(path.read_bytes()).decode("latin-1")
        for number, block in enumerate(_REUTERS.findall(raw)):
            parts = {k: rx.search(block) for k, rx in _TAG.items()}
            if not (parts["TITLE"] and parts["BODY"]):
                continue
            body = parts["BODY"].group(1).replace(" Reuter\n&#3;", "").replace("&#3;", "")
            paragraphs = [_clean(p) for p in re.split(r"\n(?=    )", body) if _clean(p)]
            if sum(len(p.split()) for p in paragraphs) < min_words or len(paragraphs) < 4:
                continue
            topics = re.findall(
                r"<D>(.*?)</D>", parts["TOPICS"].group(1) if parts["TOPICS"] else ""
            )
            dateline = _clean(parts["DATELINE"].group(1) if parts["DATELINE"] else "")
            title = _clean(parts["TITLE"].group(1)).title()
            place = dateline.split(",")[0].strip().rstrip(" -")
            topic = topics[0] if topics else "none"
            key = f"reuters-{path.name.split('.')[0]}-{number}"
            stories.append(Story(key, title, paragraphs, topic, "Reuters", place))
    return stories


def bbc_stories(folder: Path, min_words: int) -> list[Story]:
    """BBC News stories (headline, blank line, paragraphs) of enough words."""
    stories = []
    for path in sorted(folder.glob("*/*.txt")):
        lines = path.read_text(encoding="utf-8", errors="replace").split("\n")
        paragraphs = [_clean(p) for p in lines[1:] if _clean(p)]
        if sum(len(p.split()) for p in paragraphs) >= min_words and len(paragraphs) >= 4:
            stories.append(Story(f"bbc-{path.parent.name}-{path.stem}", _clean(lines[0]),
                                 paragraphs, path.parent.name, "BBC", "LONDON"))  # fmt: skip
    return stories


def distinct(stories: list[Story], share: float = 0.2) -> list[Story]:
    """Drop a story sharing `share` of its 8-word shingles with one kept (corpus repeats)."""
    owners: dict[int, int] = {}
    kept: list[Story] = []
    for story in stories:
        words = " ".join(story.paragraphs).lower().split()
        grams = {hash(" ".join(words[i : i + 8])) for i in range(max(1, len(words) - 7))}
        hits: dict[int, int] = {}
        for gram in grams:
            if gram in owners:
                hits[owners[gram]] = hits.get(owners[gram], 0) + 1
        if hits and max(hits.values()) >= share * len(grams):
            continue
        for gram in grams:
            owners.setdefault(gram, len(kept))
        kept.append(story)
    return kept


@dataclass
class Plan:
    """The generated set: the sites to serve and the story behind each page (host, slug)."""

    sites: list[Site]
    truth: dict[tuple[str, str], str]
    amp_pages: int = 0
    scenarios: dict[str, int] = field(default_factory=dict)


def _copy_text(story: Story, outlet: Outlet, rng: random.Random) -> list[str]:
    """The outlet's version of the story: truncated, copy-edited, dateline as it likes."""
    keep = max(3, round(len(story.paragraphs) * outlet.keep))
    paragraphs = list(story.paragraphs[:keep])
    if len(paragraphs) > 4 and rng.random() < 0.3:  # an editor cuts one paragraph
        del paragraphs[rng.randrange(1, len(paragraphs) - 1)]
    edited = []
    for p in paragraphs:
        text = f" {p} "
        for old, new in outlet.edits.items():
            text = text.replace(old, new)
        edited.append(text.strip())
    if outlet.dateline:
        edited[0] = f"{story.dateline.upper()} ({story.agency}) - {edited[0]}"
    return edited


def _page(outlet: Outlet, headline: str, paragraphs: list[str], teasers: list[str],
          when: datetime, rng: random.Random) -> str:  # fmt: skip
    """An article page with the outlet's chrome around the text."""
    esc = html.escape
    body = "".join(f"<p>{esc(p)}</p>" for p in paragraphs)
    related = "".join(f"<li><a href='/news/x{i}'>{esc(t)}</a></li>" for i, t in enumerate(teasers))
    related_block = f"<div class='related'><h3>Related coverage</h3><ul>{related}</ul></div>"
    inside = related_block if outlet.teasers_inside else ""
    tags = "".join(f"<li><a href='/tag/{esc(t)}'>#{esc(t)}</a></li>" for t in outlet.tags)
    credit = f"<p class='credit'>{esc(outlet.credit)}</p>" if outlet.credit else ""
    byline = rng.choice(["Staff and wire reports", f"{outlet.name} desk", "Wire service"])
    footer = (f"{outlet.name} is an independent local publisher. Our journalism is supported "
              "by readers like you: subscribe to our newsletter for the day's top stories, local "
              "weather, traffic and events, delivered every morning before seven.")  # fmt: skip
    return (
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{esc(headline)} | "
        f"{esc(outlet.name)}</title><meta property='og:site_name' content='{esc(outlet.name)}'>"
        f"<meta property='og:title' content='{esc(headline)}'>"
        f"<meta property='article:published_time' content='{when.isoformat()}'></head><body>"
        f"<header><nav><a href='/'>Home</a> <a href='/news'>News</a> <a href='/sport'>Sport</a>"
        f"</nav></header><main><article><h1>{esc(headline)}</h1>"
        f"<p class='byline'>By {esc(byline)}</p><ul class='tags'>{tags}</ul>"
        f"<div class='article-body'>{body}{inside}</div>{credit}</article>"
        f"<aside>{related_block}</aside></main><footer><p>{esc(footer)}</p></footer>"
        "</body></html>"
    )


def build(stories: list[Story], folder: Path, seed: int = 5) -> Plan:
    """Pages and feeds of the six outlets for these stories, written under folder."""
    rng = random.Random(seed)  # noqa: S311 - a reproducible evaluation set
    sites = {o.name: Site(o.name, o.host, []) for o in OUTLETS}
    plan = Plan(list(sites.values()), {})
    start = datetime(2026, 11, 1, 6, tzinfo=UTC)
    for number, story in enumerate(stories):
        count = 1 if rng.random() < 0.3 else rng.randint(2, len(OUTLETS))
        when = start + timedelta(hours=number)
        for rank, outlet in enumerate(rng.sample(OUTLETS, count)):
            later = when + timedelta(minutes=7 * rank + rng.randint(0, 5))
            _publish(plan, sites[outlet.name], outlet, story, stories, later, folder, rng)
    return plan


def _add(plan: Plan, site: Site, slug: str, story: str, title: str, html_text: str,
         when: datetime, folder: Path) -> None:  # fmt: skip
    path = folder / site.host / f"{slug.replace('/', '_')}.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html_text, encoding="utf-8")
    site.pages.append(Page(slug=slug, file=path, title=title, published=when))
    plan.truth[(site.host, slug)] = story


def _publish(plan: Plan, site: Site, outlet: Outlet, story: Story, stories: list[Story],
             when: datetime, folder: Path, rng: random.Random) -> None:  # fmt: skip
    """One outlet's copy of a story, plus now and then an update, a move or an AMP twin."""
    teasers = [f"{s.title}: {s.paragraphs[0][:120]}" for s in rng.sample(stories, 3)]
    paragraphs = _copy_text(story, outlet, rng)
    headline = outlet.headline.format(t=story.title)
    slug = f"{story.key}-{rng.randrange(10**6)}"
    scenario = rng.random()
    if scenario < 0.1 and len(paragraphs) >= 5:  # first a short early version, then the update
        early = paragraphs[: max(3, len(paragraphs) * 6 // 10)]
        _add(plan, site, slug + "-early", story.key, headline,
             _page(outlet, headline, early, teasers, when, rng), when, folder)  # fmt: skip
        headline, when = f"UPDATE 1-{headline}", when + timedelta(minutes=40)
        plan.scenarios["update"] = plan.scenarios.get("update", 0) + 1
    page = _page(outlet, headline, paragraphs, teasers, when, rng)
    _add(plan, site, slug, story.key, headline, page, when, folder)
    if 0.1 <= scenario < 0.18:  # the same text again under a new URL and headline
        moved = f"Corrected: {story.title.lower()}"
        again = _page(outlet, moved, paragraphs, teasers, when, rng)
        _add(plan, site, slug + "-v2", story.key, moved, again, when + timedelta(hours=2), folder)
        plan.scenarios["moved"] = plan.scenarios.get("moved", 0) + 1
    elif 0.18 <= scenario < 0.24:  # the AMP twin of the page, listed too: a duplicate URL
        _add(plan, site, slug + "/amp", story.key, headline, page, when, folder)
        plan.amp_pages += 1


_PARA = re.compile(r"<p[^>]*>(.*?)</p>", re.S | re.I)
_MARKUP = re.compile(r"<[^>]+>")


def open_stories(articles: Path, min_words: int) -> list[Story]:
    """MIT/Apache-2.0 texts (scrapinghub benchmark bodies, Readability's expected pages).

    The development set: thresholds may be looked at here, never on the research-only sets.
    """
    stories = []
    truth = json.loads((articles / "scrapinghub_aeb" / "ground-truth.json").read_text())
    for key, item in sorted(truth.items()):
        paragraphs = [_clean(p) for p in item["articleBody"].split("\n") if _clean(p)]
        title = " ".join(" ".join(paragraphs[:1]).split()[:9])
        stories.append(Story(f"aeb-{key}", title, paragraphs, "open", "Agency", "NEW YORK"))
    for case in sorted((articles / "readability").iterdir()):
        expected = case / "expected.html.gz"
        if not expected.exists():
            continue
        page = gzip.decompress(expected.read_bytes()).decode("utf-8", "replace")
        paragraphs = [_clean(_MARKUP.sub(" ", p)) for p in _PARA.findall(page)]
        paragraphs = [p for p in paragraphs if len(p.split()) >= 5]
        meta = json.loads((case / "expected-metadata.json").read_text())
        title = meta.get("title") or " ".join(" ".join(paragraphs[:1]).split()[:9])
        stories.append(
            Story(f"rdb-{case.name}", _clean(title), paragraphs, "open", "Agency", "LONDON")
        )
    # Readability's cases repeat some pages and include lorem-ipsum units: distinct() drops them.
    return distinct([s for s in stories if sum(len(p.split()) for p in s.paragraphs) >= min_words
                     and len(s.paragraphs) >= 4])  # fmt: skip


def wire_length(stories: list[Story], paragraphs: int = 6, min_words: int = 100) -> list[Story]:
    """The stories cut to their first paragraphs: wire-story length (the open texts run long)."""
    cut = [Story(s.key, s.title, s.paragraphs[:paragraphs], s.topic, s.agency, s.dateline)
           for s in stories]  # fmt: skip
    return [s for s in cut if sum(len(p.split()) for p in s.paragraphs) >= min_words]
