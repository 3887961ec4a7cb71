"""Tests for the recall pass, the page's own bylines and the cheap credit-line pre-test."""

from lxml.html import fromstring

from pipeline.authors import split_authors
from pipeline.bylines import page_authors
from pipeline.clean import extract
from pipeline.policy import CleanLimits
from pipeline.recall import article_subtree, closing_paragraphs, readmit_inner_lines
from pipeline.wire_facts import may_credit

SENTENCE = "The council met on Tuesday to discuss the new budget for the coming year in detail."


def test_lines_dropped_between_kept_lines_are_taken_back() -> None:
    precise = "First kept line.\nLast kept line."
    default = "Menu\nFirst kept line.\nWhat comes next?\nLast kept line.\nFooter"
    merged = readmit_inner_lines(precise, default)
    assert merged.splitlines() == ["First kept line.", "What comes next?", "Last kept line."]


def test_chrome_before_and_after_the_kept_lines_stays_out() -> None:
    merged = readmit_inner_lines("A.\nB.", "Share this\nA.\nB.\nRelated stories")
    assert merged == "A.\nB."


def test_plain_closing_paragraphs_come_back_but_headings_and_teasers_do_not() -> None:
    subtree = fromstring(
        "<html><body><article><div><p>Menu</p><p>First kept.</p><p>Last kept.</p>"
        "<p>Additional reporting by Jane Doe; Editing by John Roe</p><h3>More on this</h3>"
        "<p><a href='/trust'>Our Standards: the principles</a>.</p></div></article></body></html>"
    )
    default = "Menu\nFirst kept.\nLast kept.\nAdditional reporting by Jane Doe; Editing by John Roe"
    default += "\nMore on this\nOur Standards: the principles."
    closing = closing_paragraphs(subtree, "First kept.\nLast kept.", default)
    assert closing == ["Additional reporting by Jane Doe; Editing by John Roe"]


def test_no_closing_paragraphs_when_the_last_kept_line_is_not_in_the_default_text() -> None:
    subtree = fromstring("<html><body><p>A.</p><p>B.</p><p>Footer note.</p></body></html>")
    assert closing_paragraphs(subtree, "A.\nChanged.", "A.\nB.\nFooter note.") == []


def test_article_subtree_is_a_copy_of_the_smallest_common_container_in_an_article() -> None:
    tree = fromstring(
        "<html><body><nav><p>Menu</p></nav><div id='a'><p>First line here.</p>"
        "<h2>Question?</h2><p>Last line here.</p></div></body></html>"
    )
    subtree = article_subtree(tree, "First line here.\nLast line here.")
    assert subtree is not None
    assert subtree.xpath("//article/div/@id") == ["a"]  # trafilatura takes an <article> whole
    assert "Menu" not in subtree.text_content()
    assert tree.xpath("//div[@id='a']")  # the page itself is untouched


def test_a_linked_paragraph_inside_the_article_is_kept() -> None:
    # Precision mode drops a paragraph that is all link; inside the article it is the story's.
    paragraphs = "".join(f"<p>{SENTENCE} Part {i}.</p>" for i in range(4))
    links = "".join(f"<a href='/t{i}'>Topic {i}</a> " for i in range(6))
    html = (
        f"<html><body><article><h1>Budget</h1>{paragraphs}"
        "<p><a href='https://www.facebook.com/events/1'>"
        "See the event page of the contest on Facebook</a></p>"
        f"{paragraphs.replace('Part', 'Section')}</article><footer>{links}</footer></body></html>"
    )
    article = extract(html.encode(), "https://example.com/a", CleanLimits(min_words=0))
    assert "See the event page of the contest on Facebook" in article.text
    assert "Topic 3" not in article.text


def test_interface_labels_are_not_authors() -> None:
    assert split_authors("Username") == []
    assert split_authors("Sign in") == []


def test_page_authors_read_the_author_meta() -> None:
    tree = fromstring('<html><head><meta name="author" content="Jane Roe"></head><body/></html>')
    assert page_authors(tree, None) == ["Jane Roe"]


def test_page_authors_read_broken_json_ld() -> None:
    script = '{"author": [{"@type": "Person", "name": "Ana Lima ",}], }'
    html = f'<html><head><script type="application/ld+json">{script}</script></head></html>'
    assert page_authors(fromstring(html), None) == ["Ana Lima"]


def test_page_authors_read_a_byline_element_and_skip_one_word_labels() -> None:
    html = (
        "<html><body><span class='author-tools'>Fail</span>"
        "<span class='author'>Par <span class='authorname'>Sébastien Farcis</span></span>"
        "</body></html>"
    )
    assert page_authors(fromstring(html), None) == ["Sébastien Farcis"]


def test_page_byline_replaces_an_author_that_is_a_label() -> None:
    paragraphs = "".join(f"<p>{SENTENCE} Part {i}.</p>" for i in range(4))
    html = (
        "<html><body><header><span class='username'>Username</span></header><article>"
        f"<span class='pb-byline'>By <a href='/people/e'>Erin Cunningham</a></span>"
        f"{paragraphs}</article></body></html>"
    )
    article = extract(html.encode(), "https://example.com/b", CleanLimits(min_words=0))
    assert article.authors == ["Erin Cunningham"]


def test_credit_pretest_skips_texts_without_credit_words() -> None:
    assert not may_credit("Nothing to see here, only news.")
    assert may_credit("(Reporting by Jane Doe; Editing by John Roe)")
    assert may_credit("© 2024 AFP. All rights\nreserved")
