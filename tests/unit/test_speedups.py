"""The Python filters find exactly what trafilatura's XPath expressions find, and stand aside
when an expression is not the one they mirror; with every speed-up on, extraction is the same."""

import gzip
from collections import Counter
from collections.abc import Iterator
from copy import deepcopy
from typing import Any

import pytest
import trafilatura
import trafilatura.xpaths
from lxml import etree
from lxml.html import FormElement, HtmlElement, document_fromstring

from pipeline.clean import extract
from pipeline.policy import CleanLimits
from pipeline.speedups import (
    FILTERS,
    install,
    install_filters,
    restore_filters,
    slot,
    stock_trafilatura,
)
from pipeline.xpath_filters import Filter
from tests.conftest import FIXTURES

# Every branch of every filter, and near misses: attribute order (`@id|@class` reads the first
# in the source), missing attributes, comment nodes, converted `list`/`item` tags, a <rel> child.
CASES = """
<html><head><title>t</title><link rel="author" href="/a"></head><body>
<!-- a comment: not an element -->
<div class="story" id="reply-box">first id</div>
<div id="story" class="reply-box">first id, no match</div>
<div class="reply-box" id="story">first class</div>
<span style="color: red" id="hidden-x">style first</span>
<span id="x-hidden" style="color: red">id first</span>
<p style="display:none">a</p><p style="display: none">b</p><p aria-hidden="true">c</p>
<p aria-hidden="false" class="hide-me">d</p><p class="comments-title">e</p>
<div id="reader-comments">f</div><div class="x hidden">g</div><div class="hiddenx">h</div>
<div role="Navigation">n</div><div role="main">m</div><div data-lp-replacement-content="">r</div>
<div data-component="MostPopularStories">p</div><section id="cookie-bar" class="x">c</section>
<section class="x" id="cookie-bar">c2</section><div class="cookie" id="x">c3</div>
<div id="share-tools">s</div><div class="Share">S</div><div class="sharp">sh</div>
<div class=" ad ">ad</div><div class="lead-ad-x">ad2</div><div class="bad-ad">ad3</div>
<list class="menu"><item class="footer">i</item></list><article class="footer">not a block</article>
<ul id="comments"><li>c</li></ul><ol class="comment-list"><li>c</li></ol>
<ul class="commentary"><li>k</li></ul><ul id="disqus_thread"><li>d</li></ul>
<div id="disqus_thread">d2</div><details class="post-comments">pc</details>
<div class="infinite-scroll"><h1>kept: holds the headline</h1></div>
<div id="infinite_scroll">no h1</div><aside class="mvp-post-add-box"><h1>h</h1></aside>
<section class="infinitescroll">s</section>
<a id="comments">a</a><span class="title">t</span><div class="date">d</div>
<div class="commentlist">cl</div><span class="is-hidden">ih</span>
<div class="article-share">as</div>
<div data-component="FigureBlock">fig</div><section id="ProductReviews">pr</section>
<div class="bottom-bar">b</div><div class="Padding-bottom-lg-30">pb</div>
<div id="x bottom" class="y">b2</div><span class="link">l</span><span class="permalink">pl</span>
<p style="border: 1px">br</p>
<author>Ann Author</author><span><rel>me</rel>by me</span><span><rel>you</rel>not me</span>
<strong data-testid="AuthorCard">ac</strong><link rel="author" href="/b">
<address itemprop="author name">an</address><p class="authorName">n</p>
<h3 class="byline">bl</h3><h4 itemprop="the author">ia</h4><div id="zuozhe">z</div>
<span class="posted-by">pb</span><em data-component="Byline">em</em><em id="Author">ea</em>
<em class="screenname">sn</em><b class="Byline">bb</b>
<div class="content"><span class="post">not a container</span><article class="post">first</article>
<article class="post">second, after a sibling that matched</article>
<section><div class="article-body">the first of its own siblings</div></section></div>
<section><main id="Main-Content">m</main></section>
<section><div class="x Main-Content">mc</div></section>
<section><div class="Page-Content">pc</div></section>
<section><div class="FullText">ft</div></section><section class="story-content">sc</section>
<div class="post-meta"><a href="/c/one">one</a><a>no href</a>
<div class="meta"><a href="/c/two">two</a></div></div>
<div id="postpath-x"><a href="/c/3">3</a></div>
<ul><li class="cat-links"><a href="/category/x">x</a></li></ul>
<span class="postcategory"><a href="/c/y">y</a></span>
<div class="row"><a href="/tag/a">a</a></div><div class="tagcloud"><a href="/tag/b">b</a></div>
<p class="entry-meta"><a href="/tag/c">c</a></p><nav class="topics-nav"><a href="/tag/d">d</a></nav>
</body></html>
"""


def _expressions() -> Iterator[tuple[Filter, Any]]:
    """Each filter with trafilatura's own expression."""
    with stock_trafilatura():
        for item in FILTERS:
            expressions, index = slot(item.name)
            yield item, expressions[index]


def _trees() -> list[HtmlElement]:
    """The cases' document, every element of it as the context (`//` still reads the whole
    document from there) and the body copied into its own document."""
    root = document_fromstring(CASES)
    return [root, *root.iterdescendants(etree.Element), deepcopy(root.find("body"))]


@pytest.mark.parametrize(
    ("item", "expression"), list(_expressions()), ids=[item.name for item in FILTERS]
)
def test_each_filter_finds_what_its_expression_finds(item: Filter, expression: Any) -> None:
    trees = _trees()
    assert expression(trees[0]), f"{item.name}: the cases exercise nothing"
    for tree in trees:
        assert item(tree) == expression(tree)


def test_every_filter_mirrors_the_trafilatura_pinned_here() -> None:
    assert install() == [item.name for item in FILTERS]
    for item in FILTERS:
        expressions, index = slot(item.name)
        assert expressions[index] is item


def test_no_pattern_matches_an_empty_string() -> None:
    """An element without attributes is skipped: no missing attribute ("") may match."""
    for item in FILTERS:
        for pattern in item.patterns:
            assert pattern.search("") is None, (item.name, pattern.pattern)


def test_an_expression_of_another_text_is_left_in_place() -> None:
    item = FILTERS[0]
    expressions, index = slot(item.name)
    with stock_trafilatura():
        other = etree.XPath(".//div[@class='changed']")
        saved, expressions[index] = expressions[index], other
        try:
            assert item.name not in install_filters()
            assert expressions[index] is other
        finally:
            restore_filters()
            expressions[index] = saved
    assert expressions[index] is item


def test_stock_trafilatura_is_trafilatura_as_released_for_its_block() -> None:
    form = "<html><body><form><input name='q'></form><p>text</p></body></html>"
    with stock_trafilatura():
        for item, expression in zip(FILTERS, _current(), strict=True):
            assert isinstance(expression, etree.XPath)
            assert item.mirrors(expression)
        assert isinstance(trafilatura.load_html(form).find(".//form"), FormElement)
    assert all(a is b for a, b in zip(FILTERS, _current(), strict=True))
    # With the C lookup every element is a plain HtmlElement, forms too.
    assert type(trafilatura.load_html(form).find(".//form")) is HtmlElement


def _current() -> list[Any]:
    """What trafilatura's lists hold now in the filters' places."""
    places = [slot(item.name) for item in FILTERS]
    return [expressions[index] for expressions, index in places]


def _fixture_pages() -> list[bytes]:
    pages = FIXTURES / "pages"
    plain = [path.read_bytes() for path in sorted(pages.glob("*.html"))]
    return plain + [gzip.decompress(p.read_bytes()) for p in sorted(pages.glob("corpus/*.gz"))]


class _Checked:
    """A filter that also runs the expression it replaced and counts any difference."""

    def __init__(self, item: Filter, expression: Any, seen: Counter[str]) -> None:
        self.item, self.expression, self.seen = item, expression, seen

    def __call__(self, tree: HtmlElement) -> list[HtmlElement]:
        expected = self.expression(tree)
        self.seen[self.item.name] += 1
        if self.item(tree) != expected:
            self.seen[f"{self.item.name} differs"] += 1
        return list(expected)


def test_extraction_is_the_same_with_the_filters_on_every_fixture_page() -> None:
    pages, limits = _fixture_pages(), CleanLimits(min_words=1)
    with stock_trafilatura():
        stock = [extract(html, None, limits) for html in pages]
    assert [extract(html, None, limits) for html in pages] == stock
    seen: Counter[str] = Counter()
    checked = list(_expressions())
    for item, expression in checked:
        expressions, index = slot(item.name)
        expressions[index] = _Checked(item, expression, seen)
    try:
        for html in pages:
            extract(html, None, limits)
    finally:
        for item, _ in checked:
            expressions, index = slot(item.name)
            expressions[index] = item
    assert not [name for name in seen if name.endswith("differs")]
    assert seen["OVERALL_DISCARD_XPATH[0]"] >= len(pages)  # the filters did run on each page
    assert trafilatura.xpaths.OVERALL_DISCARD_XPATH[0] is FILTERS[0]
