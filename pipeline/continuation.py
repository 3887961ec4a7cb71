"""Article bodies split into sibling chunks: the paragraphs trafilatura leaves in later chunks.

Some publishers print one article as several containers of the same class with ads between them
(`div.body__container` inside each `div.article__chunks` item). trafilatura keeps the first
container only. The later ones are found from the extracted text's first paragraph: its container,
then containers of the same tag and class that share its grandparent, after it in the page.
"""

from lxml.html import HtmlElement

KEY_CHARS = 80  # paragraphs compare on their first characters, white space collapsed
MIN_LEAD_WORDS = 8  # a shorter first line (a kicker, a date) does not identify the container


def continued_paragraphs(tree: HtmlElement, text: str) -> list[str]:
    """Paragraphs of the later chunks of the container the extracted text starts in."""
    lines = [line for line in text.splitlines() if line.strip()]
    seen = {_key(line) for line in lines}
    lead = next((line for line in lines if len(line.split()) >= MIN_LEAD_WORDS), None)
    container = _container_of(tree, lead) if lead else None
    if container is None:
        return []
    found: list[str] = []
    for chunk in _later_chunks(tree, container):
        for paragraph in chunk.iter("p"):
            line = " ".join(paragraph.text_content().split())
            if line and _key(line) not in seen:
                seen.add(_key(line))
                found.append(line)
    return found


def _container_of(tree: HtmlElement, lead: str) -> HtmlElement | None:
    """The classed parent of the page's <p> that holds the lead paragraph."""
    key = _key(lead)
    for paragraph in tree.iter("p"):
        if _key(paragraph.text_content()) == key:
            parent = paragraph.getparent()
            return parent if parent is not None and parent.get("class") else None
    return None


def _later_chunks(tree: HtmlElement, container: HtmlElement) -> list[HtmlElement]:
    """Containers after this one with its tag and class under the same grandparent."""
    grandparent = _grandparent(container)
    if grandparent is None or not str(container.tag).isalnum():
        return []
    same = tree.xpath(f"//{container.tag}[@class=$cls]", cls=container.get("class"))
    later = same[same.index(container) + 1 :] if container in same else []
    return [chunk for chunk in later if _grandparent(chunk) is grandparent]


def _grandparent(element: HtmlElement) -> HtmlElement | None:
    parent = element.getparent()
    return parent.getparent() if parent is not None else None


def _key(text: str) -> str:
    return " ".join(text.split())[:KEY_CHARS]
