"""The standfirst: the summary printed above an article's first paragraph, which trafilatura skips.

News pages print their summary (standfirst, dek) in the article header, outside the body container
trafilatura picks. The page's description meta usually repeats it word for word, which tells the
printed summary apart from the teasers and captions around it.
"""

from lxml.html import HtmlElement

MIN_WORDS = 6  # a shorter description is a slogan or a section name, not a summary
HEAD_CHARS = 30  # text nodes are searched by their first characters, white space collapsed
BODY_TEXT = "//body//text()[contains(normalize-space(.), $head)]"


def standfirst(tree: HtmlElement, description: str | None, text: str) -> str | None:
    """The description when the page prints it as its own element above the text's first line."""
    summary = _key(description or "")
    lines = [line for line in text.splitlines() if line.strip()]
    if len(summary.split()) < MIN_WORDS or not lines or summary in _key(text):
        return None
    printed = _element_with(tree, summary, exact=True)
    if printed is None or printed.tag == "h1":  # a description that repeats the headline
        return None
    first = _element_with(tree, _key(lines[0]), exact=False)
    return None if first is not None and _position(first) < _position(printed) else summary


def _element_with(tree: HtmlElement, line: str, *, exact: bool) -> HtmlElement | None:
    """The first element whose text is this line (or starts with it), found from its text nodes."""
    for node in tree.xpath(BODY_TEXT, head=line[:HEAD_CHARS]):
        element = node.getparent()
        if element is not None and node.is_tail:
            element = element.getparent()
        while element is not None and element.tag not in ("body", "html"):
            content = _key(element.text_content())
            if content == line or (not exact and content.startswith(line[:HEAD_CHARS])):
                return element
            if len(content) >= len(line):
                break  # a larger element holds more than the line
            element = element.getparent()
    return None


def _position(element: HtmlElement) -> float:
    """The element's place in document order."""
    return float(element.xpath("count(preceding::*) + count(ancestor::*)"))


def _key(text: str) -> str:
    return " ".join(text.split())
