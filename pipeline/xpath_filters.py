"""One of trafilatura's XPath expressions as a Python walk over the elements, same result.

trafilatura prunes and searches a page with XPath expressions whose `re:test()` calls lxml
answers through a Python callback for every element and attribute. A `Filter` mirrors one
expression (the same elements in the same document order) with one walk and a Python test of
each element's attributes, using the same `re` patterns. It is only put in the expression's
place when the expression's text is the one it was written from (its SHA-256): see
pipeline/speedups.py. The filters themselves are in pipeline/xpath_prunes.py and
pipeline/xpath_lookups.py.

XPath details mirrored: `re:test(@a|@b, p)` and `starts-with(@a|@b, s)` read the first of the two
attributes in source order; a missing attribute reads as ""; `@a='v'` is false when `a` is
missing; `.//*` is every element below the context node, `//*` every element of the document,
comments and processing instructions excluded. An element without attributes matches no filter
unless it says `bare` (no pattern matches the empty string; a test checks it), so it is skipped
before any pattern runs.
"""

import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import Enum

from lxml import etree
from lxml.html import HtmlElement

Attributes = dict[str, str]
Items = list[tuple[str, str]]
Test = Callable[[HtmlElement, Attributes, Items], bool]


def first_of(items: Items, one: str, other: str) -> str:
    """The string value of XPath `@one|@other`: whichever comes first in the source, else ""."""
    for name, value in items:
        if name in (one, other):
            return value
    return ""


class Pick(Enum):
    """Which of the elements that pass the test the expression returns."""

    ALL = "all"
    FIRST = "first"  # `(.//*[…])[1]`: the first in document order
    FIRST_SIBLING = "first-sibling"  # `.//*[…][1]`: each that no earlier sibling precedes
    LINKS = "links"  # `//x[…]//a[@href]`: the links with an href below any of them


@dataclass(frozen=True)
class Filter:
    """One trafilatura XPath expression as a Python test of each element it walks."""

    name: str  # the expression's list in trafilatura.xpaths and its index there
    digest: str  # the first 16 hex digits of the SHA-256 of the expression's text
    tags: tuple[str, ...]  # the `self::` tags the expression allows; () allows any element
    test: Test
    patterns: tuple[re.Pattern[str], ...]  # the test's patterns, for the empty-string check
    # `//*` (every element of the document, its root included) rather than `.//*`.
    absolute: bool = False
    # An element without attributes may match (by its tag or its children), so it is tested too.
    bare: bool = False
    pick: Pick = Pick.ALL

    def __call__(self, tree: HtmlElement) -> list[HtmlElement]:
        """The elements the XPath expression would return, in document order."""
        walk = self._walk(tree)
        if self.pick is Pick.FIRST:  # the walk stops at the first
            first = next((element for element in walk if self.passes(element)), None)
            return [] if first is None else [first]
        found = []
        test, bare = self.test, self.bare
        for element in walk:  # passes() inlined: this loop sees every element of every page
            items = element.items()
            if (items or bare) and test(element, dict(items), items):
                found.append(element)
        if self.pick is Pick.FIRST_SIBLING:
            return [element for element in found if not self._preceded(element)]
        if self.pick is Pick.LINKS:
            return _links_below(found)
        return found

    def passes(self, element: HtmlElement) -> bool:
        """Tell whether the expression's predicates hold for one element."""
        items = element.items()
        return bool(items or self.bare) and self.test(element, dict(items), items)

    def mirrors(self, expression: object) -> bool:
        """Tell whether `expression` is the XPath this filter was written from."""
        path = getattr(expression, "path", None)
        return isinstance(path, str) and digest(path) == self.digest

    def _walk(self, tree: HtmlElement) -> Iterator[HtmlElement]:
        tags = self.tags or (etree.Element,)  # etree.Element: elements only, no comments
        if self.absolute:
            return iter(tree.getroottree().getroot().iter(*tags))
        return iter(tree.iterdescendants(*tags))

    def _preceded(self, element: HtmlElement) -> bool:
        """Tell whether an earlier sibling passes too (the step's `[1]` then drops it)."""
        siblings = element.itersiblings(*(self.tags or (etree.Element,)), preceding=True)
        return any(self.passes(sibling) for sibling in siblings)


def _links_below(containers: list[HtmlElement]) -> list[HtmlElement]:
    """`…//a[@href]` of the containers, each link once, in document order."""
    # A container inside another one adds no link of its own, and a later container never
    # holds an earlier one, so appending in the walk's order keeps document order.
    links: dict[HtmlElement, None] = {}
    for container in containers:
        for link in container.iterdescendants("a"):
            if link.get("href") is not None:
                links[link] = None
    return list(links)


def digest(path: str) -> str:
    """The first 16 hex digits of the SHA-256 of an XPath expression's text."""
    return hashlib.sha256(path.encode()).hexdigest()[:16]
