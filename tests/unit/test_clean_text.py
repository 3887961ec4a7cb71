"""Tests for the clean stage's text rules: boilerplate lines, date choice, bylines, the fallback."""

import gzip
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from trafilatura.settings import Document

import pipeline.clean
from pipeline.authors import split_authors
from pipeline.body_text import count_words, has_words, printed_tags
from pipeline.boilerplate import is_boilerplate
from pipeline.clean import extract
from pipeline.page_meta import published_date
from pipeline.policy import CleanLimits

CORPUS = Path(__file__).parent.parent / "fixtures" / "pages" / "corpus"
PROSE = "The minister said the talks would resume next week after a pause of two months."


@pytest.mark.parametrize(
    "line",
    [
        "Advertisement",
        "Anzeige",
        "Share this article",
        "Share on Facebook",
        "Read more",
        "Read more: Oil prices slip as traders weigh supply",
        "[Related: Salesforce Dreamforce Keynote: AI, Integration]",
        "Related: The 15 Weirdest Galaxies in Our Universe",
        "You may also like...",
        "Auch interessant:",
        "Comments",
        "Sign up for our newsletter to get the day's top stories.",
        "Sign up to get the best content of the week, and great gaming deals.",
        "PC Gamer Newsletter",
        "Follow The New York Times Opinion section on Facebook, Twitter and Instagram.",
        "Tempo de leitura: 2 minutos",
        "4 min read",
        "Image credit: Jane Doe/Reuters",
        "Photo Credit: Catwalkpictures",
        "(Credit: Clayton Aldern / Grist)",
        "Filed under: Khawarij |",
        "23.10.2018",
        "© 2019 Science X Network",
        "Copyright 2025 The Associated Press. All rights reserved.",
    ],
)
def test_boilerplate_lines_are_recognised(line: str) -> None:
    assert is_boilerplate(line)


@pytest.mark.parametrize(
    "line",
    [
        PROSE,
        "Advertisement revenue fell 4% in the quarter, the company said.",
        "Read more than 300 pages of testimony and you find the same story.",
        "Comments by the minister drew criticism from the opposition.",
        "Copyright law in the European Union was overhauled in 2019 after a long fight, "
        "with publishers and platforms lobbying lawmakers for more than three years.",
        "Follow-up talks are planned on Friday.",
        "Sign up " + "numbers rose sharply among students in every region " * 4,
    ],
)
def test_prose_is_not_boilerplate(line: str) -> None:
    assert not is_boilerplate(line)


MSK = timezone(timedelta(hours=3))


@pytest.mark.parametrize(
    ("stamp", "day", "chosen"),
    [
        (datetime(2020, 1, 19, 22, 0, tzinfo=UTC), datetime(2020, 1, 20), "stamp"),
        (datetime(2020, 1, 19, 22, 0, tzinfo=UTC), datetime(2020, 1, 19), "stamp"),
        (datetime(2019, 6, 17, 18, 28, tzinfo=MSK), datetime(2017, 7, 12), "day"),
        (None, datetime(2017, 7, 12), "day"),
        (datetime(2019, 6, 17, 18, 28, tzinfo=MSK), None, "stamp"),
        (None, None, None),
    ],
)
def test_published_date_keeps_the_timestamp_unless_htmldate_finds_another_day(
    stamp: datetime | None, day: datetime | None, chosen: str | None
) -> None:
    expected = {"stamp": stamp, "day": day, None: None}[chosen]
    assert published_date(stamp, day) == expected


@pytest.mark.parametrize(
    ("byline", "names"),
    [
        ("Ben Silverman Games Editor", ["Ben Silverman"]),
        ("Jane Doe Senior Staff Writer", ["Jane Doe"]),
        ("View all posts by Daniel Lemire", ["Daniel Lemire"]),
        ("Written by Rob Ewaschuk Edited by Betsy Beyer", ["Rob Ewaschuk", "Betsy Beyer"]),
        ("Par Sébastien Farcis", ["Sébastien Farcis"]),
        ("Staff Writer", []),
    ],
)
def test_split_authors_strips_roles_and_byline_phrases(byline: str, names: list[str]) -> None:
    assert split_authors(byline) == names


def test_authors_named_like_the_site_are_kept_unless_the_site_is_a_domain() -> None:
    assert split_authors("Haki Benita", "Haki Benita") == ["Haki Benita"]
    assert split_authors("Cleveland com", "cleveland.com") == []


def test_printed_tags_read_hashtag_runs_only() -> None:
    lines = ["- #War", "- #Peace", "#Diplomacy #Europe", PROSE, "#MeToo campaigners marched."]
    assert printed_tags(lines) == ["War", "Peace", "Diplomacy", "Europe"]


def test_short_precision_text_falls_back_to_the_default_pass(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[bool] = []

    def bare(tree: Any, url: Any, dates: Any, *, favor_precision: bool) -> Document:
        calls.append(favor_precision)
        words = 20 if favor_precision else 120
        return Document.from_dict({"title": "T", "text": " ".join(["word"] * words)})

    monkeypatch.setattr(pipeline.clean, "_bare", bare)
    article = extract(b"<html><body><p>x</p></body></html>", None, CleanLimits(min_words=30))
    assert calls == [True, False]
    assert article.word_count == 120


CHUNK_CLASS = "body body__container article__body"


def _chunked_page() -> bytes:
    lede = (
        "The central bank held its main rate on Thursday, as policymakers weighed slowing growth."
    )
    chunks = [
        f'<div class="grid"><div class="{CHUNK_CLASS}"><p>{text}</p></div></div>'
        for text in (
            lede + " " + " ".join([PROSE] * 12),
            "Later chunk: inflation eased to 2.1% in May, the statistics office said. " + PROSE,
            "Last chunk: markets had expected the decision, traders said. " + PROSE,
        )
    ]
    ad = '<div class="ad"><p>Advertisement</p></div>'
    # The same markup for teasers of other stories beside the article.
    body = f"<article>{chunks[0]}</article>{ad}<aside>{''.join(chunks[1:])}</aside>"
    return f"<html><body>{body}</body></html>".encode()


def test_later_chunks_of_a_split_body_are_appended_in_order() -> None:
    # wired.com prints the story in several `div.body__container` chunks; trafilatura keeps one.
    html = gzip.decompress((CORPUS / "aeb-wired-banking.html.gz").read_bytes())
    paragraphs = extract(html, None, CleanLimits()).text.split("\n\n")
    first_chunk_end = paragraphs.index(next(p for p in paragraphs if p.startswith("Still, it")))
    later = paragraphs.index("But there are two problems with this potential disruption.")
    # The standfirst printed above the body opens the text, then the first chunk.
    assert paragraphs[0] == "Our present financial ruin is being turned into a business model."
    assert paragraphs[1].startswith("The latest wave of tech-based financial startups")
    assert first_chunk_end < later
    assert paragraphs[-1].startswith("A second problem is more serious.")


def test_same_class_containers_elsewhere_on_the_page_are_not_appended() -> None:
    article = extract(_chunked_page(), None, CleanLimits(min_words=10))
    assert "Later chunk" not in article.text
    assert article.text.startswith("The central bank")


def test_has_words_agrees_with_count_words_at_the_threshold() -> None:
    text = "Tokyo 東京都 is large.\n  Second line"  # 東京都 counts as three words
    total = count_words(text)
    assert total == 8
    assert has_words(text, total)
    assert not has_words(text, total + 1)
    assert has_words("", 0)
    assert not has_words("", 1)
