"""trafilatura made faster for the clean stage, with the same output on every page.

Much of its CPU goes to lxml calling back into Python: for the `re:test()` of its boilerplate
XPath expressions (pipeline/xpath_filters.py puts Python filters in place of the slowest) and,
for every element it wraps, to choose the element's class (lxml.html's lookup is a Python method;
the C lookup below gives every element the one class trafilatura uses, `HtmlElement`, where
lxml.html gives forms and their fields subclasses with form helpers nothing here calls). On the
corpus pages the clean stage's CPU fell by about a quarter and every extracted article stayed the
same (tests/unit/test_speedups.py, docs/decisions.md).
"""

from collections.abc import Iterator
from contextlib import contextmanager

import trafilatura.utils
from lxml import etree
from lxml.html import (
    HtmlComment,
    HtmlElement,
    HtmlElementClassLookup,
    HtmlEntity,
    HtmlProcessingInstruction,
)

from pipeline import xpath_filters

_C_LOOKUP = etree.ElementDefaultClassLookup(
    element=HtmlElement, comment=HtmlComment, pi=HtmlProcessingInstruction, entity=HtmlEntity
)
_installed = False


def install() -> list[str]:
    """Apply both to this process's trafilatura; the names of the filters installed."""
    global _installed
    trafilatura.utils.HTML_PARSER.set_element_class_lookup(_C_LOOKUP)
    _installed = True
    return xpath_filters.install()


def restore() -> None:
    """trafilatura as released: its own XPath expressions and lxml.html's class lookup."""
    global _installed
    trafilatura.utils.HTML_PARSER.set_element_class_lookup(HtmlElementClassLookup())
    xpath_filters.restore()
    _installed = False


@contextmanager
def stock_trafilatura() -> Iterator[None]:
    """Run the block with trafilatura as released (the benchmark's baseline)."""
    was_installed = _installed
    restore()
    try:
        yield
    finally:
        if was_installed:
            install()
