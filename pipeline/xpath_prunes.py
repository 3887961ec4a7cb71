"""trafilatura's boilerplate and comment prunes as Python filters (pipeline/xpath_filters.py).

Each block names the expression it mirrors; the patterns are the expression's own, character for
character, and `PRUNES` pairs each test with the SHA-256 of the expression's text.
"""

import re

from lxml.html import HtmlElement

from pipeline.xpath_filters import Attributes, Filter, Items, first_of

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


_BLOCKS = ("div", "item", "list", "p", "section", "span")
PRUNES = (
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
)  # fmt: skip
