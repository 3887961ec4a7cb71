"""The classify stage: IPTC Media Topics, countries, regions and organisations of an article."""

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pipeline.geo import Gazetteer, country_labels, gather, load_gazetteer, subjects
from pipeline.lexicon import tokenize_text
from pipeline.orgs import OrgIndex, load_orgs, score_orgs
from pipeline.records import Classification
from pipeline.regions import RegionTable, load_regions, score_regions
from pipeline.topics import TopicModel, load_topics, score_topics

DATA_DIR = Path(__file__).resolve().parent / "data"
# Bump when the data files or the scoring change, so stored labels say which model made them.
VERSION = "lexicon-1.0.0"


@dataclass(frozen=True)
class Classifier:
    """The loaded lexicon models; immutable, so one instance serves a whole worker process."""

    version: str
    topics: TopicModel
    gazetteer: Gazetteer
    regions: RegionTable
    orgs: OrgIndex


@lru_cache(maxsize=4)
def _load(data_dir: Path) -> Classifier:
    regions_file = data_dir / "regions.json"
    # Region names written in text go into the gazetteer so longest-match settles overlaps.
    aliases = load_regions(regions_file, {}).aliases
    gazetteer = load_gazetteer(data_dir / "countries.json", aliases)
    return Classifier(
        version=VERSION,
        topics=load_topics(data_dir / "iptc_topics.json"),
        gazetteer=gazetteer,
        regions=load_regions(regions_file, gazetteer.areas),
        orgs=load_orgs(data_dir / "organizations.json"),
    )


def load_model(path: Path | None = None) -> Classifier:
    """Load (once per process and directory) the classifier from its data directory."""
    return _load((path or DATA_DIR).resolve())


def classify(
    title: str | None, text: str, dateline: str | None, model: Classifier
) -> Classification:
    """Label an article with topics, countries, regions and organisations."""
    head = tokenize_text(title or "")
    body = tokenize_text(text)
    place = tokenize_text(dateline or "", datelike=True)
    scores = subjects(gather(model.gazetteer, {"title": head, "body": body, "dateline": place}))
    countries = country_labels(model.gazetteer, scores)
    named = {code: score for code, score in scores.items() if code.startswith("m49:")}
    return Classification(
        topics=score_topics(model.topics, head.words, body.words),
        countries=countries,
        regions=score_regions(model.regions, countries, named),
        organizations=score_orgs(model.orgs, head, body),
        model=model.version,
    )


__all__ = ["Classifier", "classify", "load_model"]
