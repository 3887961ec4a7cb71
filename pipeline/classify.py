"""The classify stage: IPTC Media Topics, countries, regions and organisations of an article."""

import hashlib
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
VERSION = "lexicon-1.3.0"


@dataclass(frozen=True)
class ModelChoice:
    """Which classifier a process uses: the shipped lexicon, or an operator's topic model file."""

    topic_model: Path | None = None
    data_dir: Path = DATA_DIR


@dataclass(frozen=True)
class Classifier:
    """The loaded lexicon models; immutable, so one instance serves a whole worker process."""

    version: str
    topics: TopicModel
    gazetteer: Gazetteer
    regions: RegionTable
    orgs: OrgIndex


def _file_version(path: Path) -> str:
    """A trained topic model is named by its content, so two different files never share one."""
    return "trained-" + hashlib.sha256(path.read_bytes()).hexdigest()[:12]


@lru_cache(maxsize=4)
def _load(choice: ModelChoice) -> Classifier:
    regions_file = choice.data_dir / "regions.json"
    # Region names written in text go into the gazetteer so longest-match settles overlaps.
    aliases = load_regions(regions_file, {}).aliases
    gazetteer = load_gazetteer(choice.data_dir / "countries.json", aliases)
    topic_file = choice.topic_model or choice.data_dir / "iptc_topics.json"
    version = VERSION if choice.topic_model is None else f"{VERSION}+{_file_version(topic_file)}"
    return Classifier(
        version=version,
        topics=load_topics(topic_file),
        gazetteer=gazetteer,
        regions=load_regions(regions_file, gazetteer.areas),
        orgs=load_orgs(choice.data_dir / "organizations.json"),
    )


def load_model(choice: ModelChoice | None = None) -> Classifier:
    """Load (once per process and choice) the classifier: the shipped one unless told otherwise."""
    choice = choice or ModelChoice()
    topic_model = choice.topic_model.resolve() if choice.topic_model else None
    return _load(ModelChoice(topic_model=topic_model, data_dir=choice.data_dir.resolve()))


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


__all__ = ["Classifier", "ModelChoice", "classify", "load_model"]
