"""The dedup stage's pure parts: normalised text and keys."""

from pipeline.dedup import normalise_text, text_hash, url_hash


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
