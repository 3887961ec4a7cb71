"""The dedup stage's pure parts: normalised text and keys."""

from pipeline.dedup import fingerprint, normalise_text, story_words, text_hash, url_hash
from pipeline.minhash import signature
from pipeline.policy import DedupPolicy
from pipeline.records import Article


def test_text_hash_ignores_case_punctuation_and_spacing() -> None:
    a = "The Kremlin said on Monday -- that it was “satisfied”."
    b = "the kremlin said on monday that it was satisfied"
    assert normalise_text(a) == b
    assert text_hash(a) == text_hash(b)


def test_text_hash_differs_for_different_words() -> None:
    assert text_hash("Moscow said yes") != text_hash("Moscow said no")


def test_url_hash_is_stable_and_short() -> None:
    assert url_hash("https://example.com/a") == url_hash("https://example.com/a")
    assert len(url_hash("https://example.com/a")) == 32


def test_text_hash_ignores_subheadings_and_wire_sign_offs() -> None:
    body = (
        "MOSCOW (Reuters) - The Kremlin said on Monday that it was satisfied.\n"
        "PEACE DEAL?\n"
        "Putin has repeatedly said Russia would be willing to end the war.\n"
    )
    republished = (
        body.replace("PEACE DEAL?\n", "")
        + "(Reporting by Dmitry Antonov; Editing by Andrew Osborn)\n"
    )
    assert text_hash(body) == text_hash(republished)


def test_text_hash_of_a_short_text_still_depends_on_its_words() -> None:
    assert text_hash("Breaking news") != text_hash("Other news")


def test_fingerprint_keys_match_the_text_hash_and_words_of_the_text() -> None:
    text = "HEADLINE?\n" + "Shares of the company rose sharply on Tuesday, traders said. " * 12
    art = Article(item_id="a", url="http://a/1", canonical_url="http://a/1", text=text)
    keys = fingerprint(art, DedupPolicy())
    assert keys.text_key == text_hash(text)
    assert keys.signature == signature(story_words(text), DedupPolicy().shingle_words)
