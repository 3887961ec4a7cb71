"""trafilatura's slowest boilerplate filters, evaluated in Python with the same result.

trafilatura prunes a page with XPath expressions whose `re:test()` calls lxml answers through a
Python callback for every element and attribute: on the corpus pages the seven expressions below
took about 10 of the clean stage's 40 CPU ms a page. Each `Filter` mirrors one expression (the
same elements in the same document order) with one walk over the elements and compiled regular
expressions, about three times faster. A filter takes its expression's place in trafilatura's
list only when the expression's text is the one it mirrors (its SHA-256), so another trafilatura
release keeps its own XPath until somebody checks the new text and updates the filter.

XPath details mirrored: `re:test(@a|@b, p)` and `starts-with(@a|@b, s)` read the first of the two
attributes in source order; a missing attribute reads as ""; `@a='v'` is false when `a` is
missing; `.//*` is every element below the context node, comments and processing instructions
excluded. An element without attributes matches none of the filters (no pattern here matches the
empty string; a test checks it), so it is skipped before any pattern runs.
"""

import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import trafilatura.xpaths
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


@dataclass(frozen=True)
class Filter:
    """One trafilatura XPath expression as a Python test of each element below the tree."""

    name: str  # the expression's list in trafilatura.xpaths and its index there
    digest: str  # the first 16 hex digits of the SHA-256 of the expression's text
    tags: tuple[str, ...]  # the `self::` tags the expression allows; () allows any element
    test: Test
    patterns: tuple[re.Pattern[str], ...]  # the test's patterns, for the empty-string check
    # `//*` (every element of the document, its root included) rather than `.//*`.
    absolute: bool = False
    # An element without attributes may match (by its tag or its children), so it is tested too.
    bare: bool = False

    def __call__(self, tree: HtmlElement) -> list[HtmlElement]:
        """The elements the XPath expression would return, in document order."""
        found = []
        for element in self._walk(tree):
            items = element.items()
            if (items or self.bare) and self.test(element, dict(items), items):
                found.append(element)
        return found

    def _walk(self, tree: HtmlElement) -> Iterator[HtmlElement]:
        tags = self.tags or (etree.Element,)  # etree.Element: elements only, no comments
        if self.absolute:
            yield from tree.getroottree().getroot().iter(*tags)
        else:
            yield from tree.iterdescendants(*tags)

    def mirrors(self, expression: object) -> bool:
        """Tell whether `expression` is the XPath this filter was written from."""
        path = getattr(expression, "path", None)
        return isinstance(path, str) and _digest(path) == self.digest


def _digest(path: str) -> str:
    return hashlib.sha256(path.encode()).hexdigest()[:16]


# OVERALL_DISCARD_XPATH[0]: navigation, sharing, ads, footers and other chrome by id and class.
_COOKIE = re.compile("cookie")
_CHROME_ID = re.compile(
    "^shar|social|viral|newsletter|syndication|tags|sidebar|banner|bread-?crumb|button|author|"
    "^(?:jp-|dpsp-content)|bmdh|footer|Footer|share|Share|nav|Nav|menu|related|message-container|"
    "premium|^ad-"
)
_CHROME_CLASS = re.compile(
    "^shar|social|viral|newsletter|syndication|tags|sidebar|banner|bread-?crumb|button|author|"
    "^(?:nav|post-nav|ZendeskForm)|subnav|avigation|navbar|navbox|menu|bar| ad |-ad-|(?:^| )ad-|"
    "dfp[Aa]d|outbrain|taboola|criteo|paid-?content|widget|footer|Footer|byline|Byline|share-|"
    "sociable|embedded|embed|tag-list|consent|modal-content|permission|elated|next-|-stories|"
    "most-popular|more-on|meta|rating|attachment|timestamp|user-info|user-profile|-icon|"
    "article-infos|message-container|slide|viewport|overlay|options|expand|obfuscated|blurred|"
    "mol-factbox|yin|zlylin|nfoline"
)


def _chrome(element: HtmlElement, attrs: Attributes, items: Items) -> bool:
    return (
        "data-lp-replacement-content" in attrs
        or "nav" in attrs.get("role", "").replace("N", "n")
        or "MostPopularStories" in attrs.get("data-component", "")
        or _COOKIE.search(first_of(items, "id", "class")) is not None
        or _CHROME_ID.search(attrs.get("id", "")) is not None
        or _CHROME_CLASS.search(attrs.get("class", "")) is not None
    )


# OVERALL_DISCARD_XPATH[1]: hidden elements and comment furniture.
_HIDDEN = re.compile("hidden")
_HIDDEN_ID = re.compile("reader-comments|akismet")
_HIDDEN_CLASS = re.compile(
    "^hide-|comments-title|nocomments|-reply-|message|akismet|suggest-links|-hide-|hide-print|"
    " hidden| hide|noprint|notloaded"
)


def _hidden(element: HtmlElement, attrs: Attributes, items: Items) -> bool:
    style = attrs.get("style", "")
    return (
        attrs.get("class") == "comments-title"
        or first_of(items, "id", "class").startswith("reply-")
        or _HIDDEN.search(first_of(items, "id", "style")) is not None
        or "display:none" in style
        or "display: none" in style
        or _HIDDEN_ID.search(attrs.get("id", "")) is not None
        or _HIDDEN_CLASS.search(attrs.get("class", "")) is not None
        or attrs.get("aria-hidden") == "true"
    )


# REMOVE_COMMENTS_XPATH[0] and REMOVE_COMMENTS_AND_LISTS_XPATH[0]: comment sections.
_COMMENTS_ID = re.compile("^(?:[Cc]omment(?!ary)|comol|disqus_thread|dsq-comments)")
_COMMENT_LIST_ID = re.compile("^(?:[Cc]omment(?!ary)|comol)")
_COMMENTS_CLASS = re.compile("^[Cc]omment(?!ary)|(?:article|post)-comments")


def _comments(element: HtmlElement, attrs: Attributes, items: Items) -> bool:
    return (
        _COMMENTS_ID.search(attrs.get("id", "")) is not None
        or _COMMENTS_CLASS.search(attrs.get("class", "")) is not None
    )


def _comments_and_lists(element: HtmlElement, attrs: Attributes, items: Items) -> bool:
    if not _comments(element, attrs, items):
        return False
    return (
        element.tag not in ("ol", "ul")
        or _COMMENT_LIST_ID.search(attrs.get("id", "")) is not None
        or _COMMENTS_CLASS.search(attrs.get("class", "")) is not None
    )


# RAW_TREE_PRUNE_XPATH[0]: infinite-scroll containers of appended articles.
_APPENDED = re.compile("mvp-post-add-(?:box|wrap)|infinite-?scroll")
_APPENDED_BOX = re.compile("mvp-post-add-(?:box|wrap)")


def _appended(element: HtmlElement, attrs: Attributes, items: Items) -> bool:
    ident, cls = attrs.get("id", ""), attrs.get("class", "")
    if _APPENDED.search(ident) is None and _APPENDED.search(cls) is None:
        return False
    return (
        next(element.iterdescendants("h1"), None) is None
        or _APPENDED_BOX.search(ident) is not None
        or _APPENDED_BOX.search(cls) is not None
    )


# AUTHOR_DISCARD_XPATHS[0]: sections whose names are not an author's.
_NOT_AUTHOR_ID = re.compile("^comments|comment-?list|ProductReviews")
_NOT_AUTHOR_CLASS = re.compile(
    "^[Cc]omments|commentlist|comments-list|sidebar|is-hidden|quote|embedly-instagram|"
    "article-(?:share|support)|print|category|meta-date|meta-reviewer"
)


def _not_author(element: HtmlElement, attrs: Attributes, items: Items) -> bool:
    ident, cls = attrs.get("id"), attrs.get("class")
    return (
        ident == "comments"
        or cls in ("comments", "title", "date")
        or _NOT_AUTHOR_ID.search(ident or "") is not None
        or _NOT_AUTHOR_CLASS.search(cls or "") is not None
        or "Figure" in attrs.get("data-component", "")
    )


# PRECISION_DISCARD_XPATH[1]: page-bottom chrome and link boxes.
_BOTTOM = re.compile(r"(^|\s)bottom|bottom(\s|$)")
_LINK = re.compile(r"(^|\s)link(\s|$)")


def _bottom(element: HtmlElement, attrs: Attributes, items: Items) -> bool:
    name = first_of(items, "id", "class")
    return (
        _BOTTOM.search(name) is not None
        or _LINK.search(name) is not None
        or "border" in attrs.get("style", "")
    )


# AUTHOR_XPATHS[0-2]: where an author's name is, from the most to the least specific.
_AUTHOR_NAME = re.compile("author-?name|AuthorName|authorName")
_AUTHOR_ID = re.compile("author|zuozhe|bianji|xiaobian")
_AUTHOR_CLASS = re.compile(
    "author|channel-name|zuozhe|bianji|xiaobian|submitted-by|posted-by|journalist-name"
)
_ANY_AUTHOR_ID = re.compile("[Aa]uthor")
_ANY_AUTHOR_CLASS = re.compile("[Aa]uthor|screenname|writer|[Bb]yline")


def _author_named(element: HtmlElement, attrs: Attributes, items: Items) -> bool:
    if element.tag == "author":  # the expression's `|//author`
        return True
    return (
        attrs.get("rel") == "author"
        or attrs.get("id") == "author"
        or attrs.get("class") == "author"
        or attrs.get("itemprop") == "author name"
        # `rel='me'` is a child element <rel> whose text is "me", not the attribute
        or any(child.text_content() == "me" for child in element.iterchildren("rel"))
        or attrs.get("data-testid") in ("AuthorCard", "AuthorURL")
        or _AUTHOR_NAME.search(attrs.get("class", "")) is not None
    )


def _author_box(element: HtmlElement, attrs: Attributes, items: Items) -> bool:
    return (
        attrs.get("class") in ("byline", "username", "byl", "BBL")
        or "author" in attrs.get("itemprop", "")
        or _AUTHOR_ID.search(attrs.get("id", "")) is not None
        or _AUTHOR_CLASS.search(attrs.get("class", "")) is not None
    )


def _author_anywhere(element: HtmlElement, attrs: Attributes, items: Items) -> bool:
    return (
        "Byline" in attrs.get("data-component", "")
        or "author" in attrs.get("itemprop", "")
        or _ANY_AUTHOR_ID.search(attrs.get("id", "")) is not None
        or _ANY_AUTHOR_CLASS.search(attrs.get("class", "")) is not None
    )


_BLOCKS = ("div", "item", "list", "p", "section", "span")
FILTERS = (
    Filter("OVERALL_DISCARD_XPATH[0]", "a837e58a1b1ea116", _BLOCKS, _chrome,
           (_COOKIE, _CHROME_ID, _CHROME_CLASS)),
    Filter("OVERALL_DISCARD_XPATH[1]", "c1d5b70b8cd03783", (), _hidden,
           (_HIDDEN, _HIDDEN_ID, _HIDDEN_CLASS)),
    Filter("REMOVE_COMMENTS_AND_LISTS_XPATH[0]", "9cc18d34e6e2d258",
           ("div", "list", "section", "details", "ol", "ul"), _comments_and_lists,
           (_COMMENTS_ID, _COMMENT_LIST_ID, _COMMENTS_CLASS)),
    Filter("REMOVE_COMMENTS_XPATH[0]", "5d97216ca15d0558", ("div", "list", "section", "details"),
           _comments, (_COMMENTS_ID, _COMMENTS_CLASS)),
    Filter("RAW_TREE_PRUNE_XPATH[0]", "01e7c660fd6406f2", ("div", "section", "aside"), _appended,
           (_APPENDED, _APPENDED_BOX)),
    Filter("AUTHOR_DISCARD_XPATHS[0]", "82f43e48c571d06b", ("a", "div", "section", "span"),
           _not_author, (_NOT_AUTHOR_ID, _NOT_AUTHOR_CLASS)),
    Filter("PRECISION_DISCARD_XPATH[1]", "53d31ea1df47920a", _BLOCKS, _bottom, (_BOTTOM, _LINK)),
    Filter("AUTHOR_XPATHS[0]", "4d49fee6aa1c77f4",
           ("a", "address", "div", "link", "p", "span", "strong", "author"), _author_named,
           (_AUTHOR_NAME,), absolute=True, bare=True),
    Filter("AUTHOR_XPATHS[1]", "6120fddc3d75e8ea", ("a", "div", "h3", "h4", "p", "span"),
           _author_box, (_AUTHOR_ID, _AUTHOR_CLASS), absolute=True),
    Filter("AUTHOR_XPATHS[2]", "4ff2ef32ff7c0e5f", (), _author_anywhere,
           (_ANY_AUTHOR_ID, _ANY_AUTHOR_CLASS), absolute=True),
)  # fmt: skip

# The XPath objects the filters replaced, by filter name, to put back.
_REPLACED: dict[str, object] = {}


def _slot(name: str) -> tuple[list[object], int]:
    """The trafilatura list and index a filter's name points at."""
    list_name, _, index = name.rstrip("]").partition("[")
    return getattr(trafilatura.xpaths, list_name), int(index)


def install() -> list[str]:
    """Put each filter in its expression's place when the text matches; the names installed."""
    installed = []
    for item in FILTERS:
        expressions, index = _slot(item.name)
        current = expressions[index]
        if current is item:
            installed.append(item.name)
        elif item.mirrors(current):
            _REPLACED[item.name] = current
            expressions[index] = item
            installed.append(item.name)
    return installed


def restore() -> None:
    """Put trafilatura's own XPath expressions back."""
    for name, expression in _REPLACED.items():
        expressions, index = _slot(name)
        expressions[index] = expression
    _REPLACED.clear()
