"""The parsed page made ready for trafilatura: empty elements go first, their tails stay."""

from lxml.html import HtmlElement
from trafilatura.settings import CUT_EMPTY_ELEMS

# The elements trafilatura prunes when empty; a sorted tuple for lxml's tag filter.
EMPTY_TAGS = tuple(sorted(CUT_EMPTY_ELEMS))


def drop_empty_elements(tree: HtmlElement) -> None:
    """Remove elements with no text and no children, keeping the text that follows them."""
    # Precision mode prunes such elements with their tails: an ad slot or video placeholder
    # (`<div class="ad"></div>Text…`) took the start of a paragraph with it. Removed here first,
    # the text stays in its paragraph, as in trafilatura's default mode.
    # Microdata on an empty element (`<span itemprop="datePublished" content=…>`) is metadata
    # that trafilatura and htmldate read later, so it stays.
    empty = [
        node for node in tree.iter(*EMPTY_TAGS) if _is_empty(node) and "itemprop" not in node.attrib
    ]
    for node in empty:
        if node.getparent() is not None:
            node.drop_tree()  # lxml joins the tail to the previous sibling or the parent


def _is_empty(node: HtmlElement) -> bool:
    return node.text is None and len(node) == 0
