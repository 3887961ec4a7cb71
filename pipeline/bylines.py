"""Author names from the page itself, for pages where trafilatura's author gave no person.

Looked for in the order pages are most often right: author metas, JSON-LD `author` names (read
with a regex, since broken JSON-LD is common), then the first short byline element
(`itemprop=author`, `rel=author`, a class naming a byline or an author).
"""

import re
from collections.abc import Iterator

from lxml.html import HtmlElement

from pipeline.authors import split_authors

AUTHOR_META_KEYS = frozenset(
    {"author", "article:author", "parsely-author", "sailthru.author", "dc.creator", "byl"}
)
JSON_LD_AUTHOR = re.compile(
    r'"author"\s*:\s*\[?\s*\{[^{}]*?"name"\s*:\s*"(?P<name>[^"\\]{2,80})"', re.DOTALL
)
JSON_LD_XPATH = '//script[@type="application/ld+json"]/text()'
BYLINE_XPATH = (
    '//*[@itemprop="author" or @rel="author" or contains(@class, "byline")'
    ' or contains(@class, "author")][not(self::meta) and not(self::link)]'
)
MAX_BYLINE_WORDS = 8  # "Par Sébastien Farcis", "By A and B": longer elements are bios or boxes


def page_authors(tree: HtmlElement, site_name: str | None) -> list[str]:
    """Person names from the page's author metas, JSON-LD or byline elements, else []."""
    for candidate in _candidates(tree):
        names = split_authors(candidate, site_name)
        if names:
            return names
    return []


def _candidates(tree: HtmlElement) -> Iterator[str]:
    """Byline strings in order of trust, read lazily: later sources only when earlier ones fail."""
    for meta in tree.iter("meta"):
        key = (meta.get("name") or meta.get("property") or "").strip().lower()
        value = (meta.get("content") or "").strip()
        if key in AUTHOR_META_KEYS and value and "://" not in value:  # not a profile URL
            yield value
    for script in tree.xpath(JSON_LD_XPATH):
        yield from (match["name"] for match in JSON_LD_AUTHOR.finditer(str(script)))
    for element in tree.xpath(BYLINE_XPATH):
        text = " ".join(element.text_content().split())
        if 2 <= len(text.split()) <= MAX_BYLINE_WORDS:  # one word: a label ("Fail", "By")
            yield text
