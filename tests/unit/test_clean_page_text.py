"""Tests for article text that precision mode loses: tails of empty elements, the standfirst."""

from lxml.html import fromstring

from pipeline.clean import extract
from pipeline.page_tree import drop_empty_elements
from pipeline.policy import CleanLimits
from pipeline.standfirst import standfirst

SENTENCE = "The council met on Tuesday to discuss the new budget for the coming year in detail."
PARAGRAPHS = "".join(f"<p>{SENTENCE} Part {i}.</p>" for i in range(8))
SUMMARY = "The city will spend more on trams and less on roads next year."
TEXT = f"{SENTENCE} Part 0.\n{SENTENCE} Part 1."


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


def page_with_summary(summary_html: str, *, description: str = SUMMARY) -> str:
    """A page whose description meta is `description`, with `summary_html` in its header."""
    return (
        f"<html><head><meta name='description' content='{description}'></head><body>"
        f"<article><header><h1>Trams</h1>{summary_html}</header>"
        f"<div class='body'>{PARAGRAPHS}</div></article></body></html>"
    )


def test_standfirst_is_the_description_printed_above_the_first_line() -> None:
    tree = fromstring(page_with_summary(f"<p class='dek'>{SUMMARY}</p>"))
    assert standfirst(tree, f" {SUMMARY}\n", TEXT) == SUMMARY


def test_no_standfirst_when_the_description_is_not_printed_on_its_own() -> None:
    tree = fromstring(page_with_summary(f"<p>{SUMMARY} Read on for the details.</p>"))
    assert standfirst(tree, SUMMARY, TEXT) is None


def test_no_standfirst_when_the_description_is_printed_after_the_article_starts() -> None:
    html = page_with_summary("").replace("</article>", f"</article><p>{SUMMARY}</p>")
    assert standfirst(fromstring(html), SUMMARY, TEXT) is None


def test_no_standfirst_from_a_short_description_or_one_already_in_the_text() -> None:
    tree = fromstring(page_with_summary("<p>Trams, roads, budget.</p>"))
    assert standfirst(tree, "Trams, roads, budget.", TEXT) is None
    tree = fromstring(page_with_summary(f"<p>{SUMMARY}</p>"))
    assert standfirst(tree, SUMMARY, f"{SUMMARY}\n{TEXT}") is None


def test_no_standfirst_from_a_description_that_repeats_the_headline() -> None:
    html = page_with_summary("").replace("<h1>Trams</h1>", f"<h1>{SUMMARY}</h1>")
    assert standfirst(fromstring(html), SUMMARY, TEXT) is None


def test_the_printed_summary_opens_the_article_text() -> None:
    html = page_with_summary(f"<p class='dek'>{SUMMARY}</p>")
    article = extract(html.encode(), "https://example.com/t", CleanLimits(min_words=0))
    assert article.text.startswith(f"{SUMMARY}\n\n{SENTENCE} Part 0.")
    assert article.description == SUMMARY
