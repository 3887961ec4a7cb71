"""`make eval` clean section: plain trafilatura and our clean stage side by side, in one run.

Baseline: `trafilatura.bare_extraction(html_bytes, url=url, with_metadata=True)` with every other
option at its default (fallback extractors on, comments kept), as released: the clean stage's
speed-ups (pipeline/speedups.py) are taken out while it runs. Ours: `pipeline.clean.extract`
with `min_words=0`, so only pages with no text at all count as empty. Both get the same bytes
and URL; an empty or failed extraction scores as an empty text and missing metadata.

Measures (figures go in `out`):
- aeb: scrapinghub article-extraction-benchmark pages against `articleBody`, scored like the
  benchmark's evaluate.py: shingles of 4 consecutive `\\w+` tokens (case kept), per-page tp/fp/fn
  normalised to sum 1, precision and recall averaged over pages, F1 of the two averages. A second
  line scores bags of lower-cased `\\w+` tokens the same way ("tokens").
- snippets: trafilatura_cache pages: share of `with` snippets found in the text and of `without`
  snippets absent from it (plain substring tests, as trafilatura's own evaluation does).
- metadata, on the readability (title, byline, publishedTime) and trafilatura (title, author,
  date) ground truth, each page counted where the truth has the field:
  title: equal after NFKC, case folding and collapsing white space and quotes;
  author: the predicted names share a name word with the expected byline (words of 2+ letters,
  without "by"/"and"-like words); bylines with digits (dates printed as bylines) are skipped;
  date: the published date's YYYY-MM-DD equals the truth's first ten characters; htmldate alone
  (`htmldate.find_date(html)` with its defaults, and `htmldate_orig`: with original_date=True and
  the URL, as trafilatura calls it) is scored on the same pages.
- speed: pages per CPU second (`time.process_time`, as `make bench` counts on this shared
  machine) of each extractor over every page above, extraction calls only, pages interleaved.

`python scripts/eval_clean.py --verbose` runs this section alone and lists, page by page, the
snippets the two extractors disagree on.
"""

import gzip
import json
import re
import sys
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import htmldate
import trafilatura
from trafilatura.settings import Document

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.clean import extract  # noqa: E402
from pipeline.errors import Drop  # noqa: E402
from pipeline.policy import CleanLimits  # noqa: E402
from pipeline.speedups import stock_trafilatura  # noqa: E402

LIMITS = CleanLimits(min_words=0)
WORD = re.compile(r"\w+")
SHINGLE = 4  # the benchmark's n-gram size
NAME_STOPWORDS = frozenset({"by", "and", "und", "et", "par", "por", "von", "de", "the"})
QUOTES = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-"})


@dataclass
class Result:
    """What one extractor gave for one page."""

    text: str = ""
    title: str | None = None
    authors: str = ""
    date: str | None = None


@dataclass
class Page:
    """One corpus page and whatever ground truth it has."""

    html: bytes
    url: str | None
    body: str | None = None
    with_: tuple[str, ...] = ()
    without: tuple[str, ...] = ()
    title: str | None = None
    author: str | None = None
    date: str | None = None


def baseline(html: bytes, url: str | None) -> Result:
    """Plain trafilatura with its defaults and metadata, as released (without our speed-ups)."""
    with stock_trafilatura():
        doc = trafilatura.bare_extraction(html, url=url, with_metadata=True)
    if not isinstance(doc, Document):
        return Result()
    return Result(doc.text or "", doc.title, doc.author or "", doc.date)


def ours(html: bytes, url: str | None) -> Result:
    """Our clean stage."""
    try:
        art = extract(html, url, LIMITS)
    except Drop:
        return Result()
    day = art.published_at.date().isoformat() if art.published_at else None
    return Result(art.text, art.title, "; ".join(art.authors), day)


EXTRACTORS: dict[str, Callable[[bytes, str | None], Result]] = {
    "trafilatura": baseline,
    "clean": ours,
}


def run(corpus: Path, out: dict[str, Any], *, verbose: bool = False) -> None:
    """Score both extractors on the article sets under `corpus`; print a table, fill `out`."""
    pages = list(load_pages(corpus / "articles"))
    if not pages:
        print(f"no article pages under {corpus / 'articles'}: clean section skipped")
        return
    results, seconds = _extract_all(pages)
    rows = {name: score(pages, results[name]) for name in EXTRACTORS}
    rows["htmldate"] = _htmldate_row(pages, original=False)
    rows["htmldate_orig"] = _htmldate_row(pages, original=True)
    for name in EXTRACTORS:
        rows[name]["pages_per_second"] = round(len(pages) / seconds[name], 1)
    out.update(baseline="bare_extraction(html, url, with_metadata=True)", counts=_counts_of(pages))
    out["time_ratio"] = round(seconds["clean"] / seconds["trafilatura"], 3)
    out.update(rows)
    print_table(rows)
    if verbose:
        print_differences(pages, results["trafilatura"], results["clean"])
    print("pages:", ", ".join(f"{key} {value}" for key, value in out["counts"].items()))
    print(f"clean/trafilatura time: {out['time_ratio']:.2f}")


def _counts_of(pages: list[Page]) -> dict[str, int]:
    """How many pages (or snippets) each figure rests on."""
    return {
        "all": len(pages),
        "aeb": sum(page.body is not None for page in pages),
        "with": sum(len(page.with_) for page in pages),
        "without": sum(len(page.without) for page in pages),
        "title": sum(bool(page.title) for page in pages),
        "author": sum(bool(_byline(page.author)) for page in pages),
        "date": sum(bool(page.date) for page in pages),
    }


def _extract_all(pages: list[Page]) -> tuple[dict[str, list[Result]], dict[str, float]]:
    """Run every extractor on every page, timing only the calls."""
    results: dict[str, list[Result]] = {name: [] for name in EXTRACTORS}
    seconds = dict.fromkeys(EXTRACTORS, 0.0)
    for page in pages:
        for name, function in EXTRACTORS.items():
            start = time.process_time()
            result = function(page.html, page.url)
            seconds[name] += time.process_time() - start
            results[name].append(result)
    return results, seconds


def load_pages(articles: Path) -> Iterator[Page]:
    """Pages of the three sets with ground truth, skipping sets that are absent."""
    yield from _aeb(articles / "scrapinghub_aeb")
    yield from _trafilatura(articles / "trafilatura_cache")
    yield from _readability(articles / "readability")


def _gunzip(path: Path) -> bytes:
    return gzip.decompress(path.read_bytes())


def _aeb(folder: Path) -> Iterator[Page]:
    truth_file = folder / "ground-truth.json"
    if not truth_file.is_file():
        return
    for key, truth in sorted(json.loads(truth_file.read_text()).items()):
        html = _gunzip(folder / "html" / f"{key}.html.gz")
        yield Page(html, truth.get("url"), body=truth.get("articleBody", ""))


def _trafilatura(folder: Path) -> Iterator[Page]:
    truth_file = folder / "evaldata.json"
    if not truth_file.is_file():
        return
    for url, truth in sorted(json.loads(truth_file.read_text()).items()):
        html = _gunzip(folder / "html" / f"{truth['file']}.gz")
        yield Page(
            html, url, None, tuple(truth.get("with", [])), tuple(truth.get("without", [])),
            truth.get("title"), truth.get("author"), truth.get("date"),
        )  # fmt: skip


def _readability(folder: Path) -> Iterator[Page]:
    for meta_file in sorted(folder.glob("*/expected-metadata.json")):
        meta = json.loads(meta_file.read_text())
        html = _gunzip(meta_file.parent / "source.html.gz")
        published = meta.get("publishedTime")
        yield Page(
            html, None, title=meta.get("title"), author=meta.get("byline"),
            date=published[:10] if published else None,
        )  # fmt: skip


def score(pages: list[Page], results: list[Result]) -> dict[str, Any]:
    """Every quality figure of one extractor."""
    pairs = list(zip(pages, results, strict=True))
    aeb = [(page.body, result.text) for page, result in pairs if page.body is not None]
    row: dict[str, Any] = {}
    row.update(_prf("aeb", [_counts(_shingles(t), _shingles(p)) for t, p in aeb]))
    row.update(_prf("aeb_tokens", [_counts(_tokens(t), _tokens(p)) for t, p in aeb]))
    row.update(_snippets(pairs))
    row["title"] = _accuracy((p.title, r.title, _same_title) for p, r in pairs)
    row["author"] = _accuracy((_byline(p.author), r.authors, _same_author) for p, r in pairs)
    row["date"] = _accuracy((p.date, r.date, _same_date) for p, r in pairs)
    return row


def _htmldate_row(pages: list[Page], *, original: bool) -> dict[str, Any]:
    """Date accuracy of htmldate alone on the dated pages: defaults, or as trafilatura calls it."""
    found = ((page.date, _find_date(page, original) if page.date else None) for page in pages)
    return {"date": _accuracy((truth, guess, _same_date) for truth, guess in found)}


def _find_date(page: Page, original: bool) -> str | None:
    if original:  # trafilatura's call: the original (not last-modified) date, the URL's date
        return htmldate.find_date(page.html, original_date=True, url=page.url)
    return htmldate.find_date(page.html)


def _tokens(text: str) -> Counter[tuple[str, ...]]:
    return Counter((token.lower(),) for token in WORD.findall(text))


def _shingles(text: str) -> Counter[tuple[str, ...]]:
    tokens = WORD.findall(text)
    grams = (tuple(tokens[i : i + SHINGLE]) for i in range(max(1, len(tokens) - SHINGLE + 1)))
    return Counter(gram for gram in grams if gram)


def _counts(truth: Counter[Any], pred: Counter[Any]) -> tuple[float, float, float]:
    """tp, fp, fn of two multisets, normalised to sum 1 so long pages weigh no more."""
    tp = sum((truth & pred).values())
    fp, fn = sum((pred - truth).values()), sum((truth - pred).values())
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def _prf(prefix: str, counts: list[tuple[float, float, float]]) -> dict[str, float]:
    """Mean precision and recall over pages and the F1 of those means (as the benchmark)."""
    if not counts:
        return {}
    precision = _mean([_ratio(tp, fp, fn) for tp, fp, fn in counts if tp + fp > 0])
    recall = _mean([_ratio(tp, fn, fp) for tp, fp, fn in counts if tp + fn > 0])
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {f"{prefix}_precision": precision, f"{prefix}_recall": recall, f"{prefix}_f1": f1}


def _ratio(hit: float, miss: float, other: float) -> float:
    if miss == other == 0:
        return 1.0
    return hit / (hit + miss) if hit + miss else 0.0


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def _snippets(pairs: list[tuple[Page, Result]]) -> dict[str, float]:
    found = [snippet in result.text for page, result in pairs for snippet in page.with_]
    absent = [snippet not in result.text for page, result in pairs for snippet in page.without]
    return {"with_found": _mean([float(f) for f in found]),
            "without_absent": _mean([float(a) for a in absent])}  # fmt: skip


def _accuracy(triples: Iterator[tuple[str | None, Any, Callable[[str, Any], bool]]]) -> float:
    """Share of pages whose truth is known where the prediction matches it."""
    hits = [match(truth, guess) for truth, guess, match in triples if truth]
    return _mean([float(hit) for hit in hits])


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).translate(QUOTES).casefold()
    return " ".join(text.split())


def _same_title(truth: str, guess: str | None) -> bool:
    return bool(guess) and _fold(truth) == _fold(guess or "")


def _name_words(text: str) -> set[str]:
    words = {word for word in WORD.findall(_fold(text)) if len(word) > 1 and not word.isdigit()}
    return words - NAME_STOPWORDS


def _byline(author: str | None) -> str | None:
    """The truth's byline, or None when it is not a name (empty, or a printed date)."""
    if not author or any(char.isdigit() for char in author):
        return None
    return author


def _same_author(truth: str, guess: str) -> bool:
    return bool(_name_words(truth) & _name_words(guess))


def _same_date(truth: str, guess: str | None) -> bool:
    return bool(guess) and truth[:10] == (guess or "")[:10]


COLUMNS = (
    ("aeb_precision", "AEB P"), ("aeb_recall", "AEB R"), ("aeb_f1", "AEB F1"),
    ("aeb_tokens_f1", "tok F1"), ("with_found", "with"), ("without_absent", "without"),
    ("title", "title"), ("author", "author"), ("date", "date"), ("pages_per_second", "pages/s"),
)  # fmt: skip


def print_table(rows: dict[str, dict[str, Any]]) -> None:
    """One line per extractor, one column per figure."""
    print(f"{'':14}" + "".join(f"{label:>9}" for _, label in COLUMNS))
    for name, row in rows.items():
        cells = (_cell(row.get(key)) for key, _ in COLUMNS)
        print(f"{name:14}" + "".join(f"{cell:>9}" for cell in cells))


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    return f"{value:.1f}" if isinstance(value, float) and value > 1 else f"{value:.3f}"


def print_differences(pages: list[Page], plain: list[Result], clean: list[Result]) -> None:
    """Per page, the snippets the two extractors disagree on, the clean stage's misses first."""
    for page, theirs, mine in zip(pages, plain, clean, strict=True):
        lines = [
            f"  with, missed: {s!r}" for s in page.with_ if s in theirs.text and s not in mine.text
        ]
        lines += [
            f"  with, gained: {s!r}" for s in page.with_ if s in mine.text and s not in theirs.text
        ]
        lines += [
            f"  without, kept: {s!r}"
            for s in page.without
            if s in mine.text and s not in theirs.text
        ]
        if lines:
            print(page.url or "(no url)", *lines, sep="\n")


if __name__ == "__main__":  # `python scripts/eval_clean.py [--verbose]`: this section alone
    import argparse

    from eval import corpus_dir

    parser = argparse.ArgumentParser(description="make eval's clean section alone")
    parser.add_argument("--verbose", action="store_true", help="list the snippets that differ")
    run(corpus_dir(), {}, verbose=parser.parse_args().verbose)
