"""Tests for pipeline.clean: fetched pages become articles with text, metadata and wire facts."""

import gzip
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from pipeline.authors import split_authors
from pipeline.body_text import drop_chrome, drop_credits, drop_title, normalise, split_byline
from pipeline.clean import clean, extract, merge_tags
from pipeline.errors import Drop
from pipeline.policy import CleanLimits
from pipeline.records import Article, FetchedPage
from pipeline.urls import canonicalize_url
from pipeline.wire_facts import WireFacts, credited_agency, find_wire_facts

PAGES = Path(__file__).parent.parent / "fixtures" / "pages"
LIMITS = CleanLimits()
FINAL_URL = "https://www.globalsouthworld.com/article/kremlin-nato?utm_source=rss"
FEED_DATE = datetime(2025, 4, 22, 9, 0, tzinfo=UTC)
CREDIT = "This article was produced by Reuters news agency"
SEED_LINES = (PAGES / "globalsouth-kremlin.txt").read_text().splitlines()
SEED_TAGS = list(dict.fromkeys(line[3:] for line in SEED_LINES if line.startswith("- #")))
FEED = "https://www.globalsouthworld.com/rss.xml"


def page(
    name: str,
    body: bytes | None = None,
    content_type: str = "text/html; charset=utf-8",
    charset: str | None = None,
) -> FetchedPage:
    return FetchedPage(
        item_id="item-1",
        feed_url=FEED,
        url=FINAL_URL,
        final_url=FINAL_URL,
        status=200,
        content_type=content_type,
        charset=charset,
        body=body if body is not None else (PAGES / name).read_bytes(),
        fetched_at=datetime(2025, 4, 22, 12, 0, tzinfo=UTC),
        entry_published_at=FEED_DATE,
    )


@pytest.fixture(scope="module")
def globalsouth() -> Article:
    return clean(page("globalsouth-kremlin.html"), LIMITS)


@pytest.fixture(scope="module")
def dailywire() -> Article:
    return clean(page("dailywire-kremlin.html"), LIMITS)


def test_clean_splits_byline_into_two_authors(globalsouth: Article) -> None:
    assert globalsouth.authors == ["Dmitry Antonov", "Guy Faulconbridge"]


def test_clean_finds_reuters_and_dateline_from_dateline(globalsouth: Article) -> None:
    assert (globalsouth.agency, globalsouth.dateline) == ("Reuters", "Moscow")


def test_clean_keeps_dateline_prefix_in_text(globalsouth: Article) -> None:
    assert globalsouth.text.startswith("MOSCOW, April 22 (Reuters) - The Kremlin said on Monday")


def test_clean_finds_reuters_from_credit_line_without_dateline() -> None:
    html = (PAGES / "globalsouth-kremlin.html").read_bytes()
    undated = html.replace(b"MOSCOW, April 22 (Reuters) - ", b"")
    article = clean(page("", body=undated), LIMITS)
    assert (article.agency, article.dateline) == ("Reuters", None)


def test_clean_removes_credit_line_from_text(globalsouth: Article) -> None:
    assert CREDIT not in globalsouth.text
    assert globalsouth.text.endswith('"It should take place in an absolutely discrete mode."')


def test_clean_deduplicates_tags_keeping_first_order(globalsouth: Article) -> None:
    assert len(SEED_TAGS) == 28
    assert globalsouth.tags == SEED_TAGS


def test_clean_canonical_url_drops_tracking_params(globalsouth: Article) -> None:
    assert globalsouth.canonical_url == (
        "https://www.globalsouthworld.com/article/"
        "kremlin-says-us-position-ruling-out-nato-membership-for-ukraine-gives-satisfaction"
    )


def test_clean_published_at_is_timezone_aware(globalsouth: Article) -> None:
    assert globalsouth.published_at == datetime(2025, 4, 22, 9, 14, tzinfo=UTC)
    assert globalsouth.published_at.isoformat() == "2025-04-22T09:14:00+00:00"
    assert globalsouth.updated_at == datetime(2025, 4, 22, 10, 2, tzinfo=UTC)


def test_clean_reads_language_site_and_ids(globalsouth: Article) -> None:
    assert (globalsouth.language, globalsouth.site_name) == ("en", "Global South World")
    assert (globalsouth.item_id, globalsouth.feed_url) == ("item-1", FEED)
    assert globalsouth.title == (
        "Kremlin says U.S. position ruling out NATO membership for Ukraine gives satisfaction"
    )


def test_clean_separates_paragraphs_with_blank_line(globalsouth: Article) -> None:
    paragraphs = globalsouth.text.split("\n\n")
    published = SEED_LINES[SEED_LINES.index("By Dmitry Antonov and Guy Faulconbridge") + 1 : -1]
    assert paragraphs[1:] == published[1:]  # the first one gained the dateline
    assert all(paragraph.strip() == paragraph and "\n" not in paragraph for paragraph in paragraphs)
    assert globalsouth.word_count == len(globalsouth.text.split())


def test_clean_reads_json_ld_authors_dates_and_canonical_link(dailywire: Article) -> None:
    assert dailywire.title == "Kremlin welcomes U.S. stance ruling out NATO membership for Ukraine"
    assert dailywire.authors == ["Dmitry Antonov", "Guy Faulconbridge"]
    assert dailywire.published_at is not None
    assert dailywire.published_at.isoformat() == "2025-04-22T11:30:00+02:00"
    assert dailywire.canonical_url == (
        "https://dailywire.example/world/europe/kremlin-welcomes-us-stance-nato-ukraine"
    )
    assert dailywire.language == "en"


def test_clean_drops_headline_and_chrome_lines_but_keeps_reporting_credit(
    dailywire: Article,
) -> None:
    assert dailywire.text.startswith("MOSCOW, April 22 (Reuters) - ")
    assert "Advertisement" not in dailywire.text
    assert "Share this article" not in dailywire.text
    assert dailywire.text.endswith("; Editing by Andrew Osborn)")
    assert dailywire.agency == "Reuters"


def test_clean_uses_feed_date_when_page_has_none() -> None:
    article = clean(page("metro-kremlin.html"), LIMITS)
    assert article.published_at == FEED_DATE
    assert (article.agency, article.dateline, article.language) == ("Reuters", "Moscow", None)
    assert article.canonical_url == "https://www.globalsouthworld.com/article/kremlin-nato"


def test_clean_uses_declared_charset() -> None:
    html = "<html><body><article><p>{}</p></article></body></html>".format(
        " ".join(["Café société à Genève."] * 12)
    )
    article = clean(page("", body=html.encode("cp1252"), charset="windows-1252"), LIMITS)
    assert article.text.startswith("Café société à Genève.")


def test_clean_prefers_valid_utf8_over_a_latin1_header() -> None:
    html = "<html><body><article><p>{}</p></article></body></html>".format(
        " ".join(["Café société à Genève."] * 12)
    )
    article = clean(page("", body=html.encode("utf-8"), charset="iso-8859-1"), LIMITS)
    assert article.text.startswith("Café société à Genève.")


@pytest.mark.parametrize("tags", [SEED_TAGS, []], ids=["page-tags", "no-page-tags"])
def test_text_cleanup_removes_leaked_byline_tag_lists_and_credit_line(tags: list[str]) -> None:
    lines = normalise((PAGES / "globalsouth-kremlin.txt").read_text())
    title = lines[0]
    paragraphs, byline = split_byline(drop_chrome(drop_title(lines, title), tags))
    text = "\n".join(drop_credits(paragraphs))
    assert byline == "By Dmitry Antonov and Guy Faulconbridge"
    assert text.startswith("The Kremlin said on Monday")
    assert "#" not in text
    assert CREDIT not in text
    assert text.endswith('absolutely discrete mode."')


def test_text_cleanup_keeps_a_sentence_starting_with_a_hashtag() -> None:
    paragraphs = ["#MeToo campaigners marched in Paris.", "Other text."]
    assert drop_chrome(paragraphs, ["War"]) == paragraphs


@pytest.mark.parametrize(
    ("lede", "agency", "dateline"),
    [
        ("KYIV (Reuters) - Russia launched", "Reuters", "Kyiv"),
        ("WASHINGTON (AP) — The Senate voted", "AP", "Washington"),
        ("PARIS (AFP) - France said", "AFP", "Paris"),
        ("(Bloomberg) -- Oil rose", "Bloomberg", None),
        ("BERLIN (dpa) - Germany's economy", "dpa", "Berlin"),
        ("LONDON (PA) - The Prime Minister", "PA", "London"),
        ("LOS ANGELES, Jan 19 (Reuters) - A film", "Reuters", "Los Angeles"),
        ("BEIJING, April 3 (Xinhua) -- China", "Xinhua", "Beijing"),
    ],
)
def test_wire_facts_read_agency_and_city_from_dateline(
    lede: str, agency: str, dateline: str | None
) -> None:
    assert find_wire_facts(lede) == WireFacts(agency, dateline)


@pytest.mark.parametrize(
    ("text", "agency"),
    [
        (f"Body.\n{CREDIT}. It has not been edited by Global South World.", "Reuters"),
        ("Body.\n(Reporting by Jane Doe; Editing by John Roe)", "Reuters"),
        ("Body.\nAdditional reporting by Steve Gorman; Editing by Nick Zieminski", "Reuters"),
        ("Body.\nAssociated Press writer Jill Lawless in London contributed.", "AP"),
        ("Body.\nThis story was provided by the AFP news agency.", "AFP"),
        ("A story with no credit.", None),
    ],
)
def test_wire_facts_read_agency_from_credit_lines(text: str, agency: str | None) -> None:
    assert credited_agency(text) == agency


def test_wire_facts_ignore_a_sentence_before_an_agency_mention() -> None:
    assert find_wire_facts("Officials said on Monday (Reuters) - nothing").dateline is None


@pytest.mark.parametrize(
    ("byline", "names"),
    [
        ("By Dmitry Antonov and Guy Faulconbridge", ["Dmitry Antonov", "Guy Faulconbridge"]),
        ("Ann Lee, Bo Chen and Cy Diaz", ["Ann Lee", "Bo Chen", "Cy Diaz"]),
        ("Jeffrey Gettleman; JEFFREY GETTLEMAN", ["Jeffrey Gettleman"]),
        ("By Jane Doe, Moscow Correspondent", ["Jane Doe"]),
        ("Reuters Staff", []),
        ("Jill Serjeant, Reuters; AP", ["Jill Serjeant"]),
        ("Frankfurter Allgemeine Zeitung GmbH; Benjamin Fischer", ["Benjamin Fischer"]),
    ],
)
def test_split_authors_returns_person_names_only(byline: str, names: list[str]) -> None:
    assert split_authors(byline) == names


def test_merge_tags_splits_lists_strips_hash_and_keeps_first_spelling() -> None:
    merged = merge_tags(
        ["#War", "Peace, Lecturers' pay"], ["war", "Lecturers pay", "Science &amp; X"]
    )
    assert merged == ["War", "Peace", "Lecturers' pay", "Science & X"]


CORPUS = [
    (
        "reuters.com.parasite.html.gz",
        "'Parasite' scores historic upset at SAG awards, boosting Oscar chances",
        ["Jill Serjeant"],
        date(2020, 1, 19),
    ),
    (
        "theguardian.com.academics.html.gz",
        "Thousands of UK academics 'treated as second-class citizens'",
        ["Richard Adams"],
        date(2020, 1, 20),
    ),
    (
        "faz.net.streaming.html.gz",
        "Nutzerbasierte Abrechnung: Musik-Stars fordern neues Streaming-Modell",
        ["Benjamin Fischer", "Marcus Theurer"],
        date(2020, 1, 28),
    ),
    (
        "readability-nytimes-1.html.gz",
        "United States to Lift Sudan Sanctions",
        ["Jeffrey Gettleman"],
        None,
    ),
]


def corpus_article(name: str) -> Article:
    return extract(gzip.open(PAGES / "corpus" / name).read(), None, LIMITS)


@pytest.mark.parametrize(("name", "title", "authors", "day"), CORPUS)
def test_real_pages_give_ground_truth_metadata(
    name: str, title: str, authors: list[str], day: date | None
) -> None:
    article = corpus_article(name)
    assert (article.title, article.authors) == (title, authors)
    if day is not None:
        assert article.published_at is not None
        assert article.published_at.date() == day
    assert article.word_count > 300


def test_real_reuters_page_gives_agency_dateline_and_clean_text() -> None:
    article = corpus_article("reuters.com.parasite.html.gz")
    assert (article.agency, article.dateline, article.language) == ("Reuters", "Los Angeles", "en")
    for snippet in ("cementing their roles", "Despite an unknown cast,"):
        assert snippet in article.text
    for snippet in ("Related Coverage", "4 Min Read", "Trust Principles"):
        assert snippet not in article.text
    assert article.canonical_url == "https://www.reuters.com/article/us-awards-sag-idUSKBN1ZI0EH"


def test_real_nytimes_page_drops_continue_reading_lines() -> None:
    article = corpus_article("readability-nytimes-1.html.gz")
    assert "Continue reading the main story" not in article.text
    assert article.language == "en"


@pytest.mark.parametrize("body", [b"", b"<html><body></body></html>"])
def test_clean_drops_page_without_text(body: bytes) -> None:
    with pytest.raises(Drop) as caught:
        clean(page("", body=body), LIMITS)
    assert caught.value.reason == "no-text"


@pytest.mark.parametrize(
    ("content_type", "limits", "reason"),
    [
        ("application/pdf", LIMITS, "not-html"),
        ("text/html", CleanLimits(max_html_bytes=1000), "too-large"),
        ("text/html", CleanLimits(min_words=10_000), "too-short"),
    ],
)
def test_clean_drops_unusable_pages(content_type: str, limits: CleanLimits, reason: str) -> None:
    with pytest.raises(Drop) as caught:
        clean(page("globalsouth-kremlin.html", content_type=content_type), limits)
    assert caught.value.reason == reason


def test_extract_derives_item_id_from_url() -> None:
    html = (PAGES / "metro-kremlin.html").read_bytes()
    first, second = extract(html, FINAL_URL, LIMITS), extract(html, FINAL_URL, LIMITS)
    assert first.item_id == second.item_id
    assert len(first.item_id) == 16
    assert extract(html, None, LIMITS).item_id != first.item_id


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("https://ex.com/a?utm_source=x&utm_medium=y&id=3", "https://ex.com/a?id=3"),
        ("https://ex.com/a?b=2&a=1&fbclid=Z&gclid=Y&ocid=W", "https://ex.com/a?a=1&b=2"),
        ("https://ex.com/a?CMP=share&at_medium=RSS&at_campaign=rss&smid=tw", "https://ex.com/a"),
        (
            "https://ex.com/a?mc_cid=1&mc_eid=2&cmpid=3&ref=rss&taid=4&guccounter=1",
            "https://ex.com/a",
        ),
        ("HTTPS://News.EX.com/Path/Story#comments", "https://news.ex.com/Path/Story"),
        ("http://ex.com:80/a", "http://ex.com/a"),
        ("https://ex.com:443/a", "https://ex.com/a"),
        ("https://ex.com:8443/a", "https://ex.com:8443/a"),
        ("https://ex.com/news/story/amp", "https://ex.com/news/story"),
        ("https://ex.com/news/story/amp/", "https://ex.com/news/story/"),
        ("https://amp.ex.com/news/story", "https://ex.com/news/story"),
        ("https://ex.com/news/story?amp", "https://ex.com/news/story"),
        ("https://ex.com/news/story?amp=1&page=2", "https://ex.com/news/story?page=2"),
        ("https://ex.com/news/story?outputType=amp", "https://ex.com/news/story"),
        ("https://ex.com/news/story.amp.html", "https://ex.com/news/story.html"),
        ("https://ex.com", "https://ex.com/"),
    ],
)
def test_canonicalize_url(url: str, canonical: str) -> None:
    assert canonicalize_url(url) == canonical
