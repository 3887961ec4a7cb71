"""trafilatura's lookups of the author, the article body, categories and tags as Python filters.

See pipeline/xpath_filters.py. Each block names the expression it mirrors; the patterns are the
expression's own, character for character, and `LOOKUPS` pairs each test with the SHA-256 of the
expression's text.
"""

import re

from lxml.html import HtmlElement

from pipeline.xpath_filters import Attributes, Filter, Items, Pick

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


# BODY_XPATH[0, 2, 3]: the article's container, from the most to the least specific.
_BODY_ID = re.compile(
    "(?:entry|article|art)-content|article__content|article(?:-|__)?body|articleBody|body-text"
)
_BODY_CLASS = re.compile(
    "post[-_]text|post-body|post-?entry|post[-_]?content|postContent|post_inner_wrapper|"
    "article-?text|articleText|(?:entry|page|text|article|art)-content|article__content|"
    "article(?:-|__)?body|articleBody|ArticleContent|body-text|article__container"
)
_STORY_ID = re.compile("^primary|story-body")
_FULLTEXT = re.compile("fulltext", re.IGNORECASE)  # the expression's flag 'i'
_STORY_CLASS = re.compile(
    "^article |post-bodycopy|story-?content|(?:theme|blog|section|single)-content|single-post|"
    "main-column|wpb_text_column|story-body|field-body"
)
_MAIN_ID = re.compile("content-main|content-body|contentBody")
_MAIN_CLASS = re.compile("content[-_]main|content(?:-|__)body")


def _article_body(element: HtmlElement, attrs: Attributes, items: Items) -> bool:
    return (
        attrs.get("class") in ("post", "entry")
        or attrs.get("itemprop") == "articleBody"
        or attrs.get("id") == "articleContent"
        or _BODY_ID.search(attrs.get("id", "")) is not None
        or _BODY_CLASS.search(attrs.get("class", "")) is not None
    )


def _story(element: HtmlElement, attrs: Attributes, items: Items) -> bool:
    cls = attrs.get("class", "")
    return (
        attrs.get("role") == "article"
        or attrs.get("id") in ("article", "story")
        or attrs.get("class") in ("postarea", "art-postcontent", "text", "cell", "story")
        or _STORY_ID.search(attrs.get("id", "")) is not None
        or _FULLTEXT.search(cls) is not None
        or _STORY_CLASS.search(cls) is not None
    )


def _main_content(element: HtmlElement, attrs: Attributes, items: Items) -> bool:
    ident, cls = attrs.get("id", ""), attrs.get("class", "")
    return (
        attrs.get("id") == "content"
        or attrs.get("class") == "content"
        or _MAIN_ID.search(ident) is not None
        or _MAIN_CLASS.search(cls) is not None
        # translate(@x, 'CM', 'cm') and translate(@class, 'CP', 'cp')
        or "main-content" in ident.replace("C", "c").replace("M", "m")
        or "main-content" in cls.replace("C", "c").replace("M", "m")
        or "page-content" in cls.replace("C", "c").replace("P", "p")
    )


# CATEGORIES_XPATHS[0, 3] and TAGS_XPATHS[2, 3]: the containers of category and tag links.
_POST_META = re.compile("^(?:post-?info|post-?meta|meta|entry-meta|entry-info|entry-utility)")
_TAG_META = re.compile("^(?:tag|postmeta|meta)")


def _post_meta(element: HtmlElement, attrs: Attributes, items: Items) -> bool:
    return _POST_META.search(attrs.get("class", "")) is not None or attrs.get("id", "").startswith(
        "postpath"
    )


def _category_item(element: HtmlElement, attrs: Attributes, items: Items) -> bool:
    return attrs.get("class") in (
        "post-category",
        "postcategory",
        "entry-category",
    ) or "cat-links" in attrs.get("class", "")


def _tag_box(element: HtmlElement, attrs: Attributes, items: Items) -> bool:
    return (
        attrs.get("class") in ("row", "jp-relatedposts", "entry-utility")
        or _TAG_META.search(attrs.get("class", "")) is not None
    )


def _topics(element: HtmlElement, attrs: Attributes, items: Items) -> bool:
    cls = attrs.get("class", "")
    return attrs.get("class") == "entry-meta" or "topics" in cls or "tags-links" in cls


_CONTAINERS = ("article", "div", "main", "section")
LOOKUPS = (
    Filter("AUTHOR_XPATHS[0]", "4d49fee6aa1c77f4",
           ("a", "address", "div", "link", "p", "span", "strong", "author"), _author_named,
           (_AUTHOR_NAME,), absolute=True, bare=True),
    Filter("AUTHOR_XPATHS[1]", "6120fddc3d75e8ea", ("a", "div", "h3", "h4", "p", "span"),
           _author_box, (_AUTHOR_ID, _AUTHOR_CLASS), absolute=True),
    Filter("AUTHOR_XPATHS[2]", "4ff2ef32ff7c0e5f", (), _author_anywhere,
           (_ANY_AUTHOR_ID, _ANY_AUTHOR_CLASS), absolute=True),
    Filter("BODY_XPATH[0]", "caaa561ceca17064", _CONTAINERS, _article_body,
           (_BODY_ID, _BODY_CLASS), pick=Pick.FIRST_SIBLING),
    Filter("BODY_XPATH[2]", "6c9b5e1fdc092943", _CONTAINERS, _story,
           (_STORY_ID, _FULLTEXT, _STORY_CLASS), pick=Pick.FIRST),
    Filter("BODY_XPATH[3]", "10a7ceacc0ff8cdf", _CONTAINERS, _main_content,
           (_MAIN_ID, _MAIN_CLASS), pick=Pick.FIRST),
    Filter("CATEGORIES_XPATHS[0]", "f9db28129c98c3ff", ("div",), _post_meta, (_POST_META,),
           absolute=True, pick=Pick.LINKS),
    Filter("CATEGORIES_XPATHS[3]", "f0d05a0c4fd23ebd", ("li", "span"), _category_item, (),
           absolute=True, pick=Pick.LINKS),
    Filter("TAGS_XPATHS[2]", "238771784fb1d0a6", ("div",), _tag_box, (_TAG_META,),
           absolute=True, pick=Pick.LINKS),
    Filter("TAGS_XPATHS[3]", "39ae2c0fc2971d72", (), _topics, (), absolute=True,
           pick=Pick.LINKS),
)  # fmt: skip
