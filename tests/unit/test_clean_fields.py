"""Tests for the clean stage's metadata fields and wire facts on the republished seed story page.

`seed-republished.html` wraps `../shared/seed/kremlin-nato-republished.txt` (a Reuters story as
republished by Global South World) in a page of our own: the tag list printed twice, the byline
and the syndication credit line in the body, no dateline, metadata in JSON-LD and metas only.
"""

import json
import subprocess
import sys
import unicodedata
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from pipeline.clean import extract
from pipeline.errors import Drop
from pipeline.policy import CleanLimits
from pipeline.records import Article

ROOT = Path(__file__).resolve().parent.parent.parent
SEED_PAGE = ROOT / "tests" / "fixtures" / "pages" / "seed-republished.html"
SEED_HTML = SEED_PAGE.read_text(encoding="utf-8")
LIMITS = CleanLimits()
CREDIT = (
    "This article was produced by Reuters news agency. "
    "It has not been edited by Global South World."
)
LEDE = "The Kremlin said on Monday"
MSK = timezone(timedelta(hours=3))


def seed_variant(old: str, new: str) -> Article:
    assert old in SEED_HTML
    return extract(SEED_HTML.replace(old, new).encode(), None, LIMITS)


@pytest.fixture(scope="module")
def seed() -> Article:
    return extract(SEED_PAGE.read_bytes(), None, LIMITS)


def test_title_is_the_headline(seed: Article) -> None:
    assert seed.title == (
        "Kremlin says U.S. position ruling out NATO membership for Ukraine gives satisfaction"
    )


def test_authors_are_a_list_of_names_from_the_body_byline(seed: Article) -> None:
    assert seed.authors == ["Dmitry Antonov", "Guy Faulconbridge"]
    assert "By Dmitry Antonov" not in seed.text


def test_published_and_updated_keep_the_page_time_zone(seed: Article) -> None:
    assert seed.published_at == datetime(2025, 4, 22, 12, 14, tzinfo=MSK)
    assert seed.published_at.isoformat() == "2025-04-22T12:14:00+03:00"
    assert seed.updated_at == datetime(2025, 4, 22, 13, 2, tzinfo=MSK)


def test_language_is_the_two_letter_code(seed: Article) -> None:
    assert seed.language == "en"


def test_canonical_url_drops_tracking_parameters(seed: Article) -> None:
    assert (
        seed.canonical_url == "https://www.globalsouthworld.com/article/kremlin-nato-satisfaction"
    )


def test_site_name_description_and_image(seed: Article) -> None:
    assert seed.site_name == "Global South World"
    assert seed.description is not None
    assert seed.description.startswith("The Kremlin said U.S. position ruling out NATO")
    assert seed.image_url == "https://www.globalsouthworld.com/media/2025/04/peskov-kremlin.jpg"


def test_printed_tag_list_becomes_deduplicated_tags_and_leaves_the_body(seed: Article) -> None:
    assert len(seed.tags) == 28
    assert seed.tags[:3] == ["Americas", "Asia", "Pacific"]
    assert seed.tags[-1] == "Western Europe"
    assert "#" not in seed.text


def test_agency_comes_from_the_credit_line_which_leaves_the_body(seed: Article) -> None:
    assert (seed.agency, seed.dateline) == ("Reuters", None)
    assert "produced by Reuters" not in seed.text
    assert "It has not been edited" not in seed.text
    assert seed.text.startswith(LEDE)
    assert seed.text.endswith('"It should take place in an absolutely discrete mode."')


def test_page_chrome_stays_out_of_the_body(seed: Article) -> None:
    for chrome in ("Share this article", "Advertisement", "Sign up for our newsletter"):
        assert chrome not in seed.text
    assert "\n\nPEACE DEAL?\n\n" in seed.text  # a sub-heading is a paragraph of its own


def test_agency_mentions_in_the_story_do_not_make_it_theirs() -> None:
    article = seed_variant(CREDIT, "")
    assert "Bloomberg report" in article.text
    assert "Reuters reported" in article.text
    assert article.agency is None


@pytest.mark.parametrize(
    ("dateline", "agency", "city"),
    [
        ("KYIV (Reuters) - ", "Reuters", "Kyiv"),
        ("MOSCOW, April 22 (Reuters) - ", "Reuters", "Moscow"),
        ("WASHINGTON (AP) — ", "AP", "Washington"),
        ("PARIS (AFP) - ", "AFP", "Paris"),
        ("(Bloomberg) -- ", "Bloomberg", None),
        ("BERLIN (dpa) - ", "dpa", "Berlin"),
        ("LONDON (PA) - ", "PA", "London"),
        ("LONDON (PA Media) - ", "PA", "London"),
        ("BEIJING, April 22 (Xinhua) -- ", "Xinhua", "Beijing"),
    ],
)
def test_dateline_on_a_page_gives_agency_and_city(
    dateline: str, agency: str, city: str | None
) -> None:
    html = SEED_HTML.replace(CREDIT, "").replace(f"<p>{LEDE}", f"<p>{dateline}{LEDE}")
    article = extract(html.encode(), None, LIMITS)
    assert (article.agency, article.dateline) == (agency, city)
    assert article.text.startswith(dateline.strip())  # the dateline is part of the story


@pytest.mark.parametrize(
    ("credit", "agency", "kept"),
    [
        (CREDIT, "Reuters", False),
        ("This story was provided by the AFP news agency.", "AFP", False),
        ("This report was produced by the dpa news agency.", "dpa", False),
        ("Copyright 2025 The Associated Press. All rights reserved.", "AP", False),
        ("(Reporting by Dmitry Antonov; Editing by Andrew Osborn)", "Reuters", True),
        ("Associated Press writer Jill Lawless in London contributed.", "AP", True),
        ("--With assistance from Jane Doe.", "Bloomberg", True),
    ],
)
def test_credit_line_on_a_page_gives_agency(credit: str, agency: str, kept: bool) -> None:
    article = seed_variant(CREDIT, credit)
    assert article.agency == agency
    assert (credit in article.text) is kept  # syndication credits go, reporting credits stay


def test_text_and_metadata_are_nfc() -> None:
    decomposed = unicodedata.normalize("NFD", "Gérard Müller")
    html = SEED_HTML.replace("Guy Faulconbridge</p>", f"{decomposed}</p>").replace(
        "Moscow satisfaction, but", f"Moscow satisfaction at the {decomposed}, but"
    )
    article = extract(html.encode(), None, LIMITS)
    assert article.authors == ["Dmitry Antonov", "Gérard Müller"]
    assert "Gérard Müller, but" in article.text
    assert unicodedata.is_normalized("NFC", article.text)


def test_wire_extract_on_the_seed_page_returns_agency_authors_metadata_and_clean_body() -> None:
    command = [sys.executable, "-m", "workers.cli", "extract", str(SEED_PAGE)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    row = json.loads(done.stdout)
    assert row["agency"] == "Reuters"
    assert row["authors"] == ["Dmitry Antonov", "Guy Faulconbridge"]
    assert row["text"].startswith(LEDE)
    assert "This article was produced by" not in row["text"]
    assert "#Americas" not in row["text"]
    assert row["tags"].count("Americas") == 1
    assert row["updated_at"] == "2025-04-22T13:02:00+03:00"
    assert row["site_name"] == "Global South World"
    assert row["description"].startswith("The Kremlin said U.S. position")
    assert row["image_url"].endswith("/media/2025/04/peskov-kremlin.jpg")


def test_page_too_short_after_cleanup_is_dropped() -> None:
    with pytest.raises(Drop) as caught:
        extract(SEED_PAGE.read_bytes(), None, CleanLimits(min_words=600))
    assert caught.value.reason == "too-short"


WARM_UP = """
from dateparser.languages.dictionary import Dictionary
from dateparser.languages.loader import LocaleDataLoader
from pipeline.clean import warm_up

def built():
    return sum(len(tables) for tables in Dictionary._split_regex_cache.values())

before = built()
warm_up()
locales = LocaleDataLoader().get_locales(languages=None, locales=None, region=None)
print(before, built(), len(list(locales)))
"""


def test_warm_up_builds_the_date_parsers_tables_of_every_locale() -> None:
    # A fresh interpreter: a page extracted earlier in this one may have built them already.
    command = [sys.executable, "-c", WARM_UP]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    before, after, locales = map(int, done.stdout.split())
    assert before == 0
    assert after == locales > 100
