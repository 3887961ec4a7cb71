"""Facts trafilatura does not keep, read from the page's own parsed tree: metas and JSON-LD."""

import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lxml import etree
from lxml.html import HtmlElement

from pipeline.wire_facts import may_credit

PUBLISHED_KEYS = (
    "article:published_time",
    "og:article:published_time",
    "datepublished",
    "parsely-pub-date",
    "sailthru.date",
    "dc.date.issued",
)
MODIFIED_KEYS = (
    "article:modified_time",
    "og:article:modified_time",
    "datemodified",
    "og:updated_time",
)
TAG_KEYS = ("article:tag", "og:article:tag")
LANG_KEYS = ("og:locale", "content-language", "language", "dc.language", "inlanguage")
LANG = re.compile(r"^([A-Za-z]{2})(?:$|[-_])")
JSON_LD_XPATH = '//script[@type="application/ld+json"]/text()'
ITEMPROP_XPATH = '//*[@itemprop="datePublished" or @itemprop="dateModified"]'
# Script and style hold raw text only (no child elements), so a text's parent is enough to test;
# plain strings (not lxml's "smart" ones) need no element proxy each.
VISIBLE_TEXT_XPATH = etree.XPath(
    "//body//text()[not(parent::script) and not(parent::style)]", smart_strings=False
)


@dataclass(frozen=True)
class PageMeta:
    """Raw metadata strings as the page declares them, first declaration first."""

    canonical: list[str] = field(default_factory=list)
    published: list[str] = field(default_factory=list)
    modified: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    visible_text: str = ""  # "" when the raw page text names no credit words at all


def read_page_meta(tree: HtmlElement) -> PageMeta:
    """Collect canonical URLs, ISO dates, tags, languages and the visible text of a page."""
    metas = _metas(tree)
    json_ld = dict(_json_ld_dates(tree))
    links = [str(href) for href in tree.xpath('//link[@rel="canonical"]/@href')]
    # Open Graph article times first, then JSON-LD, then the rarer spellings.
    return PageMeta(
        canonical=links + metas.get("og:url", []),
        published=_pick(metas, PUBLISHED_KEYS[:2])
        + json_ld["datePublished"]
        + _pick(metas, PUBLISHED_KEYS[2:]),
        modified=_pick(metas, MODIFIED_KEYS[:2])
        + json_ld["dateModified"]
        + _pick(metas, MODIFIED_KEYS[2:]),
        tags=_pick(metas, TAG_KEYS),
        languages=[str(tree.get("lang") or ""), *_pick(metas, LANG_KEYS)],
        visible_text=_visible_text(tree),
    )


def _visible_text(tree: HtmlElement) -> str:
    """The page's text outside scripts and styles, or "" when even with them it has no credit."""
    # The visible text is only searched for credit lines; the raw text_content() (scripts
    # included) is a superset found in C, so most pages skip the slow XPath walk.
    if not may_credit(tree.text_content()):
        return ""
    return " ".join(VISIBLE_TEXT_XPATH(tree))


def parse_timestamp(candidates: list[str]) -> datetime | None:
    """Parse the first ISO 8601 candidate; aware when the page gives a time zone."""
    for candidate in candidates:
        try:
            return datetime.fromisoformat(candidate.strip())
        except ValueError:  # not ISO ("Tue Jan 28 15:28:56 CET 2020"): try the next one
            continue
    return None


def published_date(stamp: datetime | None, day: datetime | None) -> datetime | None:
    """Choose between the page's declared publication timestamp and htmldate's day.

    A timestamp within a day of htmldate's guess is the same moment in another time zone and is
    kept for its time and zone; further apart, the declared one is usually a re-publication or
    update (htmldate also weighs the URL's date), so the day wins.
    """
    if stamp is None or day is None:
        return stamp or day
    if abs((stamp.date() - day.date()).days) <= 1:
        return stamp
    return day


def one_line(title: str | None) -> str | None:
    """A metadata string in NFC on one line (titles keep their site name suffix: decisions.md)."""
    return unicodedata.normalize("NFC", " ".join(title.split())) if title else title


def language_code(candidates: list[str | None]) -> str | None:
    """Return the first two-letter language code among "en", "en-GB", "en_US" spellings."""
    for candidate in candidates:
        match = LANG.match((candidate or "").strip())
        if match:
            return match[1].lower()
    return None


def _pick(metas: dict[str, list[str]], keys: tuple[str, ...]) -> list[str]:
    """Values of the given meta keys, in key order."""
    return [value for key in keys for value in metas.get(key, [])]


def _metas(tree: HtmlElement) -> dict[str, list[str]]:
    """Map each meta's property/name/itemprop/http-equiv (lower-cased) to its contents."""
    found: dict[str, list[str]] = {}
    for meta in tree.iter("meta"):
        content = (meta.get("content") or "").strip()
        for attr in ("property", "name", "itemprop", "http-equiv"):
            key = (meta.get(attr) or "").strip().lower()
            if key and content:
                found.setdefault(key, []).append(content)
    for node in tree.xpath(ITEMPROP_XPATH):  # <time itemprop=datePublished datetime=...>
        value = node.get("datetime") or node.get("content")
        if value and node.tag != "meta":
            found.setdefault(node.get("itemprop").lower(), []).append(value.strip())
    return found


def _json_ld_dates(tree: HtmlElement) -> Iterator[tuple[str, list[str]]]:
    """Yield ("datePublished", [...]) and ("dateModified", [...]) from the JSON-LD blocks."""
    objects = list(_json_ld_objects(tree))
    for key in ("datePublished", "dateModified"):
        yield key, [obj[key] for obj in objects if isinstance(obj.get(key), str)]


def _json_ld_objects(tree: HtmlElement) -> Iterator[dict[str, Any]]:
    """Yield every JSON object in the page's JSON-LD, outer objects first."""
    for script in tree.xpath(JSON_LD_XPATH):
        try:
            data = json.loads(str(script))
        except ValueError:  # broken JSON-LD is common; the metas may still say enough
            continue
        yield from _walk(data)


def _walk(data: Any) -> Iterator[dict[str, Any]]:
    """Walk JSON data breadth-first, yielding its objects (so "@graph" members come after it)."""
    queue = [data]
    while queue:
        item = queue.pop(0)
        if isinstance(item, dict):
            yield item
            queue.extend(value for value in item.values() if isinstance(value, dict | list))
        elif isinstance(item, list):
            queue.extend(item)
