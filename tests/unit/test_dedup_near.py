"""The near-duplicate layer's pure parts: signatures, estimates and the same-story rule."""

import gzip
from dataclasses import dataclass, field

import pytest

from pipeline.clean import extract
from pipeline.dedup import Claim, Fingerprint, dedup, fingerprint, story_words
from pipeline.errors import Drop
from pipeline.minhash import HASHES, containment, jaccard, same_story, signature
from pipeline.policy import CleanLimits, DedupPolicy
from pipeline.records import Article
from tests.conftest import FIXTURES

POLICY = DedupPolicy()


def _story() -> str:
    html = (FIXTURES / "pages" / "globalsouth-kremlin.html").read_bytes()
    return extract(html, None, CleanLimits()).text


def _other(name: str) -> str:
    html = gzip.decompress((FIXTURES / "pages" / "corpus" / name).read_bytes())
    return extract(html, None, CleanLimits()).text


def _compare(a: str, b: str) -> tuple[float, float]:
    sa = signature(story_words(a), POLICY.shingle_words)
    sb = signature(story_words(b), POLICY.shingle_words)
    sim = jaccard(sa.sketch, sb.sketch)
    return sim, containment(sim, sa.shingles, sb.shingles)


def _paragraphs(text: str) -> list[str]:
    return [p for p in text.splitlines() if p.strip()]


def test_signature_has_fixed_sizes_and_is_deterministic() -> None:
    words = story_words(_story())
    one, two = signature(words, 5), signature(words, 5)
    assert one == two
    assert len(one.sketch) == HASHES
    assert len(one.bands) == 20
    assert 0.9 * (len(words) - 4) <= one.shingles <= len(words) - 4


def test_identical_texts_estimate_jaccard_one() -> None:
    assert _compare(_story(), _story()) == (1.0, 1.0)


def test_a_truncated_copy_is_the_same_story_by_containment() -> None:
    paragraphs = _paragraphs(_story())
    truncated = "\n".join(paragraphs[: len(paragraphs) // 2])
    sim, contained = _compare(_story(), truncated)
    assert sim < POLICY.min_jaccard
    assert contained >= POLICY.min_containment
    assert same_story(sim, contained, POLICY)


def test_an_updated_story_with_paragraphs_added_is_the_same_story() -> None:
    update = _story() + "\n" + _other("theguardian.com.academics.html.gz")[:1500]
    assert same_story(*_compare(_story(), update), POLICY)


def test_unrelated_stories_are_not_the_same_story() -> None:
    sim, contained = _compare(_story(), _other("reuters.com.parasite.html.gz"))
    assert sim < 0.1
    assert not same_story(sim, contained, POLICY)


def test_pages_sharing_only_a_teaser_paragraph_are_not_the_same_story() -> None:
    teaser = (
        "Read more: markets rally as central banks signal a pause in rate rises, traders say,"
        " while oil prices slip for a third day on demand worries across Asia and Europe."
    )
    a = _story() + "\n" + teaser
    b = _other("reuters.com.parasite.html.gz") + "\n" + teaser
    assert not same_story(*_compare(a, b), POLICY)


def test_short_texts_get_no_similarity_signature() -> None:
    short = Article(item_id="s", url="http://x/1", canonical_url="http://x/1", text="Brief " * 20)
    long = Article(item_id="l", url="http://x/2", canonical_url="http://x/2", text=_story())
    assert fingerprint(short, POLICY).signature is None
    assert fingerprint(long, POLICY).signature is not None


def test_fingerprint_ignores_headline_and_url_changes() -> None:
    a = Article(item_id="a", url="http://a/1", canonical_url="http://a/1", title="One",
                text=_story())  # fmt: skip
    b = a.model_copy(update={"item_id": "b", "url": "http://b/9", "canonical_url": "http://b/9",
                             "title": "Another headline"})  # fmt: skip
    fa, fb = fingerprint(a, POLICY), fingerprint(b, POLICY)
    assert (fa.text_key, fa.signature) == (fb.text_key, fb.signature)
    assert fa.url_key != fb.url_key


@dataclass
class _FakeIndex:
    """An index that answers what it is told and remembers what it was asked."""

    answer: Claim
    asked: list[Fingerprint] = field(default_factory=list)

    def claim(self, item_id: str, fingerprint: Fingerprint, policy: DedupPolicy) -> Claim:
        self.asked.append(fingerprint)
        return self.answer


def test_dedup_drops_an_item_whose_url_another_item_holds() -> None:
    index = _FakeIndex(Claim(story_id="", duplicate_of="first", reason="same-url"))
    art = Article(item_id="b", url="http://a/1", canonical_url="http://a/1", text=_story())
    with pytest.raises(Drop, match="duplicate-url"):
        dedup(art, index, POLICY)


def test_dedup_passes_the_index_answer_into_the_verdict() -> None:
    index = _FakeIndex(Claim(story_id="s1", duplicate_of="s1", reason="near-duplicate",
                             similarity=0.8))  # fmt: skip
    art = Article(item_id="b", url="http://a/1", canonical_url="http://a/1", text=_story())
    verdict = dedup(art, index, POLICY)
    assert (verdict.story_id, verdict.duplicate_of, verdict.similarity) == ("s1", "s1", 0.8)
    assert verdict.text_hash == index.asked[0].text_key
