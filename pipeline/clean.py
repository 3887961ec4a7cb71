"""The clean stage: a fetched page in, an `Article` (text, metadata, wire facts) out, or a Drop.

The page is parsed once: trafilatura's `load_html` builds the lxml tree, the metas and JSON-LD
trafilatura does not keep are read from it, then `bare_extraction` runs on that tree (it works on
a copy). `Article.text` holds one paragraph per block, separated by a blank line ("\\n\\n").
"""

import functools
import hashlib
import html as html_entities
import re
from datetime import datetime, time
from typing import Any

import trafilatura
from htmldate.extractors import get_external_parser
from lxml.html import HtmlElement
from trafilatura.settings import Document, set_date_params
from trafilatura.utils import decode_file

from pipeline.authors import split_authors
from pipeline.body_text import (
    count_words,
    drop_chrome,
    drop_credits,
    drop_title,
    has_words,
    join,
    normalise,
    printed_tags,
    split_byline,
)
from pipeline.bylines import page_authors
from pipeline.continuation import continued_paragraphs
from pipeline.errors import Drop
from pipeline.page_meta import (
    PageMeta,
    language_code,
    one_line,
    parse_timestamp,
    published_date,
    read_page_meta,
)
from pipeline.page_tree import drop_empty_elements
from pipeline.policy import CleanLimits
from pipeline.recall import article_subtree, closing_paragraphs, readmit_inner_lines
from pipeline.records import Article, FetchedPage
from pipeline.speedups import install as install_speedups
from pipeline.standfirst import standfirst
from pipeline.urls import canonicalize_url, is_absolute_http
from pipeline.wire_facts import find_wire_facts

FALLBACK_WORDS = 50  # below this the precision pass lost the article, not just chrome
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
ITEM_ID_LENGTH = 16

# Once per process, before any page: trafilatura with its slowest XPath expressions as Python
# filters and lxml's element classes chosen in C, the same output for 30 % less CPU a page.
install_speedups()


@functools.cache
def warm_up() -> None:
    """Build the date parser's tables for every locale now, not over the first pages."""
    # htmldate hands the strings it cannot read to dateparser, which compiles three regexes for
    # a locale the first time a string is tested against it: about 1.3 s of CPU spread over a
    # process's first pages (39 against 30 ms a page over the first 150), paid again by every
    # recycled worker child unless its parent built them before the fork. A string that no
    # locale reads is tested against them all.
    get_external_parser().get_date_data("qqqxz 12 zzqx")


def clean(page: FetchedPage, limits: CleanLimits) -> Article:
    """Turn a fetched page into an article, or drop it."""
    if not _is_html(page.content_type):
        raise Drop("not-html", page.content_type or "")
    article = extract(page.body, page.final_url, limits, charset=page.charset)
    return article.model_copy(
        update={
            "item_id": page.item_id,
            "feed_url": page.feed_url,
            "title": article.title or page.entry_title,
            "published_at": _published(article.published_at, page.entry_published_at),
        }
    )


def extract(
    html: bytes, url: str | None, limits: CleanLimits, *, charset: str | None = None
) -> Article:
    """Turn raw page bytes (a saved page, `wire extract`) into an article, or drop it."""
    if len(html) > limits.max_html_bytes:
        raise Drop("too-large", f"{len(html)} bytes")
    tree = _parse(html, charset)
    meta = read_page_meta(tree)
    drop_empty_elements(tree)  # precision mode lost the text after them
    document = _extract_document(tree, url)
    if not isinstance(document, Document) or not document.text:
        raise Drop("no-text")
    # A body split into chunks: benchmark recall 0.972 -> 0.986, precision unchanged.
    document.text = "\n".join([document.text, *continued_paragraphs(tree, document.text)])
    lead = standfirst(tree, document.description, document.text)
    article = _article(document, meta, url, _item_id(html, url), limits, lead)
    if article.authors:
        return article
    # trafilatura's author was empty, a label or the outlet: the page's own bylines.
    return article.model_copy(update={"authors": page_authors(tree, article.site_name)})


def _extract_document(tree: HtmlElement, url: str | None) -> Document | None:
    """Run trafilatura for precision, then take back inner lines, or rerun when it left nothing."""
    # favor_precision: on the 40 news pages of scrapinghub's article-extraction-benchmark it gives
    # F1 0.972 against 0.962 for the default; stray chrome hurts dedup and classification more
    # than a lost closing paragraph does. htmldate's extensive search finds one more right date
    # on 55 dated eval pages, and `clean` prefers the feed's date over a bare guessed day.
    dates = set_date_params(extensive=True)  # per call: it caps dates at today
    document = _bare(tree, url, dates, favor_precision=True)
    if document is not None and has_words(document.text or "", FALLBACK_WORDS):
        document.text = _with_inner_lines(tree, url, document.text or "")
        return document
    # Short precision output: the default mode's fuller text scored better (see decisions.md).
    second = _bare(tree, url, dates, favor_precision=False)
    return second if _words(second) > _words(document) else document


def _with_inner_lines(tree: HtmlElement, url: str | None, precise: str) -> str:
    """Take back the lines precision mode dropped inside the article (pipeline/recall.py)."""
    # The default pass runs without fallbacks on the article's subtree only (1.07x plain
    # trafilatura's CPU time in all). On the whole page it cost 1.34x (limit 1.3x); falling back
    # to the whole page when no subtree is found cost 1.22x-1.29x for one more `with` snippet.
    subtree = article_subtree(tree, precise)
    if subtree is None:
        return precise
    fuller = _bare(subtree, url, None, favor_precision=False, fallbacks=False)
    if not fuller or not fuller.text:
        return precise
    # Closing paragraphs ("Additional reporting by ...") too: `with` 0.920 -> 0.930.
    closing = closing_paragraphs(subtree, precise, fuller.text)
    return "\n".join([readmit_inner_lines(precise, fuller.text), *closing])


def _bare(
    tree: HtmlElement,
    url: str | None,
    dates: dict[str, Any] | None,
    *,
    favor_precision: bool,
    fallbacks: bool = True,
) -> Document | None:
    """One trafilatura pass without comments, with metadata when `dates` are given (on a copy)."""
    document = trafilatura.bare_extraction(
        tree,
        url=url,
        favor_precision=favor_precision,
        include_comments=False,
        fast=not fallbacks,
        with_metadata=dates is not None,
        date_extraction_params=dates,
    )
    return document if isinstance(document, Document) else None


def _words(document: Document | None) -> int:
    """Words of a trafilatura document's text (0 when there is none)."""
    return count_words(document.text or "") if document else 0


def _article(
    doc: Document,
    meta: PageMeta,
    url: str | None,
    item_id: str,
    limits: CleanLimits,
    lead: str | None = None,
) -> Article:
    """Assemble the article from trafilatura's document, its standfirst and the page's metadata."""
    paragraphs = drop_title(normalise(doc.text or ""), doc.title)
    printed = printed_tags(paragraphs)  # a tag list printed in the body, often twice
    tags = merge_tags(meta.tags, doc.tags or [], doc.categories or [], printed)
    paragraphs = drop_chrome(paragraphs, tags)
    paragraphs, byline = split_byline(paragraphs)
    facts = find_wire_facts("\n".join(paragraphs), meta.visible_text)  # before credits go
    # The printed summary opens the text (`with` snippets 0.930 -> 0.944, benchmark F1 0.981 ->
    # 0.976: its ground truth leaves summaries out), after the title, byline and dateline rules,
    # which look at the first lines.
    text = join([lead, *drop_credits(paragraphs)] if lead else drop_credits(paragraphs))
    words = count_words(text)
    if words < limits.min_words:
        raise Drop("too-short", f"{words} words")
    canonical = _canonical(meta, url)
    return Article(
        item_id=item_id,
        url=url or canonical,
        canonical_url=canonical,
        title=one_line(doc.title),
        authors=split_authors(doc.author or byline, doc.sitename),
        published_at=published_date(parse_timestamp(meta.published), _date(doc.date)),
        updated_at=parse_timestamp(meta.modified),
        language=language_code([doc.language, *meta.languages]),
        site_name=one_line(doc.sitename),
        description=one_line(doc.description),
        image_url=doc.image,
        text=text,
        agency=facts.agency,
        dateline=facts.dateline,
        tags=tags,
        word_count=words,
    )


def merge_tags(*sources: list[str]) -> list[str]:
    """Merge tag lists: split comma lists, strip '#', keep the first spelling of each tag."""
    merged: list[str] = []
    seen: set[str] = set()
    for source in sources:
        for entry in source:
            for raw in html_entities.unescape(entry).split(","):
                tag = one_line(raw.lstrip().lstrip("#")) or ""  # NFC, spaces collapsed
                key = re.sub(r"['’]", "", tag.casefold())  # "Lecturers' pay" = "Lecturers pay"
                if tag and key not in seen:
                    seen.add(key)
                    merged.append(tag)
    return merged


def _published(from_page: datetime | None, from_feed: datetime | None) -> datetime | None:
    """Prefer the page's timestamp, but the feed's over a bare date guessed from the page."""
    if from_page is None or (from_page.tzinfo is None and from_page.time() == time()):
        return from_feed or from_page
    return from_page


def _is_html(content_type: str | None) -> bool:
    """Tell whether a Content-Type is HTML; a missing one is sniffed by the parser."""
    if content_type is None:
        return True
    return content_type.split(";", 1)[0].strip().lower() in HTML_TYPES


def _parse(html: bytes, charset: str | None) -> HtmlElement:
    """Decode and parse the page once; an unparseable page has no text."""
    tree = trafilatura.load_html(_decode(html, charset))
    if tree is None:
        raise Drop("no-text", "unparseable html")
    return tree


def _decode(html: bytes, charset: str | None) -> str:
    """Decode as UTF-8 when valid, else with the declared charset, else sniff the bytes."""
    # Valid UTF-8 wins over the header: "charset=ISO-8859-1" on UTF-8 pages is a common server
    # default, while non-ASCII text in another charset is almost never valid UTF-8.
    for encoding in ("utf-8", charset):
        if encoding:
            try:
                return html.decode(encoding)
            except (LookupError, UnicodeDecodeError):  # wrong or unknown charset: next guess
                continue
    return decode_file(html)


def _canonical(meta: PageMeta, url: str | None) -> str:
    """Canonicalise the page's declared canonical URL (or og:url), else the URL fetched."""
    declared = next((link.strip() for link in meta.canonical if is_absolute_http(link)), None)
    chosen = declared or url
    return canonicalize_url(chosen) if chosen else ""


def _date(value: str | None) -> datetime | None:
    """Parse trafilatura's "YYYY-MM-DD" date (naive: the page gave no time of day or zone)."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _item_id(html: bytes, url: str | None) -> str:
    """Derive a stable id from the URL, or from the bytes when there is no URL."""
    digest = hashlib.sha1(url.encode() if url else html, usedforsecurity=False)
    return digest.hexdigest()[:ITEM_ID_LENGTH]
