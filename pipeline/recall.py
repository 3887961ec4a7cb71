"""Lines trafilatura's precision mode dropped inside the article, taken back from its default mode.

Precision mode removes link-dense headings, quotes and short paragraphs; most of what it drops is
chrome around the article, but some is the article's own (a Q&A's questions, a list's items). A
line of the default-mode text is re-admitted only when it sits between two lines the precision
text kept, so the page's leading chrome never comes back. After the last kept line only plain
paragraphs come back (a closing line, "Additional reporting by ..."): the headings, lists and
linked teasers that follow an article there are chrome.
"""

from copy import deepcopy

from lxml.html import HtmlElement, fromstring

BLOCK_TAGS = ("p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "td", "pre")
KEY_CHARS = 60  # a line is found by its first characters, white space collapsed
# A closing paragraph with more of its text in links is a teaser ("Our Standards: The Thomson
# Reuters Trust Principles." is 0.71 link) or a related-story headline (1.0).
MAX_LINK_SHARE = 0.5


def readmit_inner_lines(precise: str, default: str) -> str:
    """The precise text with the default text's lines that fall between two precise lines."""
    kept = [line for line in precise.splitlines() if line.strip()]
    position = {
        _key(line): index for index, line in reversed(list(enumerate(default.splitlines())))
    }
    default_lines = default.splitlines()
    seen = {_key(line) for line in kept}  # once per page, not once per gap
    merged: list[str] = []
    previous: int | None = None
    for line in kept:
        at = position.get(_key(line))
        if at is not None and previous is not None and at > previous + 1:
            merged.extend(_admissible(default_lines[previous + 1 : at], seen))
        merged.append(line)
        previous = at if at is not None else previous
    return "\n".join(merged)


def closing_paragraphs(subtree: HtmlElement, precise: str, default: str) -> list[str]:
    """The default text's lines after the last precise line that are plain paragraphs."""
    kept = [line for line in precise.splitlines() if line.strip()]
    lines = default.splitlines()
    keys = [_key(line) for line in lines]
    if not kept or _key(kept[-1]) not in keys:
        return []
    seen = {_key(line) for line in kept}
    after = lines[keys.index(_key(kept[-1])) + 1 :]
    return [
        line
        for line in after
        if line.strip() and _key(line) not in seen and _is_paragraph(subtree, line)
    ]


def _is_paragraph(subtree: HtmlElement, line: str) -> bool:
    """Tell whether the line is a <p> of the subtree with less than half its text in links."""
    element = _elements_of(subtree, _key(line))[0]
    if element is None or element.tag != "p":
        return False
    linked = sum(len(link.text_content()) for link in element.iter("a"))
    return linked < MAX_LINK_SHARE * len(element.text_content())


def article_subtree(tree: HtmlElement, precise: str) -> HtmlElement | None:
    """A copy of the smallest element holding the first and last precise lines, in a body."""
    lines = [_key(line) for line in precise.splitlines() if line.strip()]
    if len(lines) < 2:
        return None
    first, last = _elements_of(tree, lines[0], lines[-1])
    if first is None or last is None:
        return None
    ancestors = set(first.iterancestors())
    common = next((node for node in last.iterancestors() if node in ancestors), None)
    if common is None or common.tag in ("body", "html"):
        return None
    # Inside <article>, the first container trafilatura looks for, the copy is taken whole.
    page = fromstring("<html><body><article></article></body></html>")
    page.find(".//article").append(deepcopy(common))
    return page


def _elements_of(tree: HtmlElement, *lines: str) -> list[HtmlElement | None]:
    """For each line, the first block element whose text starts with it, in one walk."""
    # One walk for all lines: each element's text is built and collapsed once.
    heads = [line[:KEY_CHARS] for line in lines]
    found: list[HtmlElement | None] = [None] * len(heads)
    for element in tree.iter(*BLOCK_TAGS):
        text = _key(element.text_content())
        for index, head in enumerate(heads):
            if found[index] is None and text.startswith(head):
                found[index] = element
        if all(element is not None for element in found):
            break
    return found


def _admissible(lines: list[str], seen: set[str]) -> list[str]:
    """Lines worth taking back: not empty and not already kept (chrome lines go later)."""
    return [line for line in lines if line.strip() and _key(line) not in seen]


def _key(line: str) -> str:
    return " ".join(line.split())
