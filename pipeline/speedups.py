"""trafilatura made faster for the clean stage, with the same output on every page.

Much of its CPU goes to lxml calling back into Python: for the `re:test()` of its XPath
expressions (Python filters take the place of the slowest: pipeline/xpath_filters.py) and,
for every element it wraps, to choose the element's class (lxml.html's lookup is a Python method;
the C lookup below gives every element the one class trafilatura uses, `HtmlElement`, where
lxml.html gives forms and their fields subclasses with form helpers nothing here calls). On the
corpus pages the clean stage's CPU fell by 30 % and every extracted article stayed the same
(tests/unit/test_speedups.py, docs/decisions.md).
"""

from collections.abc import Iterator
from contextlib import contextmanager

import trafilatura.utils
import trafilatura.xpaths
from lxml import etree
from lxml.html import (
    HtmlComment,
    HtmlElement,
    HtmlElementClassLookup,
    HtmlEntity,
    HtmlProcessingInstruction,
)

from pipeline.xpath_filters import Filter
from pipeline.xpath_lookups import LOOKUPS
from pipeline.xpath_prunes import PRUNES

FILTERS: tuple[Filter, ...] = PRUNES + LOOKUPS
_C_LOOKUP = etree.ElementDefaultClassLookup(
    element=HtmlElement, comment=HtmlComment, pi=HtmlProcessingInstruction, entity=HtmlEntity
)
_installed = False
# The XPath objects the filters replaced, by filter name, to put back.
_REPLACED: dict[str, object] = {}


def install() -> list[str]:
    """Give this process's trafilatura the filters and the C lookup; the filters installed."""
    global _installed
    trafilatura.utils.HTML_PARSER.set_element_class_lookup(_C_LOOKUP)
    _installed = True
    return install_filters()


def restore() -> None:
    """trafilatura as released: its own XPath expressions and lxml.html's class lookup."""
    global _installed
    trafilatura.utils.HTML_PARSER.set_element_class_lookup(HtmlElementClassLookup())
    restore_filters()
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


def slot(name: str) -> tuple[list[object], int]:
    """The list in trafilatura.xpaths and the index a filter's name points at."""
    list_name, _, index = name.rstrip("]").partition("[")
    return getattr(trafilatura.xpaths, list_name), int(index)


def install_filters() -> list[str]:
    """Put each filter in its expression's place when the text matches; the names installed."""
    installed = []
    for item in FILTERS:
        expressions, index = slot(item.name)
        current = expressions[index]
        if current is item:
            installed.append(item.name)
        elif item.mirrors(current):
            _REPLACED[item.name] = current
            expressions[index] = item
            installed.append(item.name)
    return installed


def restore_filters() -> None:
    """Put trafilatura's own XPath expressions back."""
    for name, expression in _REPLACED.items():
        expressions, index = slot(name)
        expressions[index] = expression
    _REPLACED.clear()
