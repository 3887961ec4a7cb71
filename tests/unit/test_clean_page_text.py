"""Tests for article text that precision mode loses: the text after an empty element."""

from lxml.html import fromstring

from pipeline.clean import extract
from pipeline.page_tree import drop_empty_elements
from pipeline.policy import CleanLimits

SENTENCE = "The council met on Tuesday to discuss the new budget for the coming year in detail."
PARAGRAPHS = "".join(f"<p>{SENTENCE} Part {i}.</p>" for i in range(8))


def test_empty_elements_go_and_the_text_after_them_stays() -> None:
    tree = fromstring(
        "<html><body><p><span class='ad'></span>Text after the slot.</p>"
        "<div id='video'></div><span itemprop='datePublished' content='2024-05-01'></span>"
        "<p>Next.</p></body></html>"
    )
    drop_empty_elements(tree)
    assert tree.xpath("//p/text()") == ["Text after the slot.", "Next."]
    assert not tree.xpath("//*[@class='ad' or @id='video']")
    assert tree.xpath("//span[@itemprop]")  # microdata is metadata, read later


def test_a_paragraph_opening_after_an_empty_ad_slot_keeps_its_text() -> None:
    # Precision mode prunes the empty <span> together with the text that follows it.
    html = (
        "<html><body><article><p><span class='ad-slot'></span>"
        f"The mayor announced a new tram line on Monday.</p>{PARAGRAPHS}</article></body></html>"
    )
    article = extract(html.encode(), "https://example.com/a", CleanLimits(min_words=0))
    assert article.text.startswith("The mayor announced a new tram line on Monday.")
