"""Record types passed between stages (JSON-serialisable, stored in the item store)."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class Record(BaseModel):
    """Base of every record: strict fields, bytes as base64 in JSON."""

    model_config = ConfigDict(extra="forbid", ser_json_bytes="base64", val_json_bytes="base64")


class FeedEntry(Record):
    """One entry of a polled feed: what the fetch stage needs to get the page."""

    item_id: str
    feed_url: str
    link: str
    guid: str | None = None
    title: str | None = None
    published_at: datetime | None = None
    summary: str | None = None


class FetchedPage(Record):
    """An article page as fetched: raw bytes plus the response facts the cleaner needs."""

    item_id: str
    feed_url: str
    url: str
    final_url: str
    status: int
    content_type: str | None = None
    charset: str | None = None
    body: bytes
    fetched_at: datetime
    entry_title: str | None = None
    entry_published_at: datetime | None = None


class Article(Record):
    """A cleaned article: text and metadata."""

    item_id: str
    feed_url: str | None = None
    url: str
    canonical_url: str
    title: str | None = None
    authors: list[str] = Field(default_factory=list)
    published_at: datetime | None = None
    updated_at: datetime | None = None
    language: str | None = None
    site_name: str | None = None
    description: str | None = None
    image_url: str | None = None
    text: str
    agency: str | None = None
    dateline: str | None = None
    tags: list[str] = Field(default_factory=list)
    word_count: int = 0


class DedupVerdict(Record):
    """Where an article stands among the copies of its story."""

    story_id: str
    duplicate_of: str | None = None
    text_hash: str
    reason: str = "new"
    similarity: float | None = None
    seen_at: datetime | None = None


class Label(Record):
    """One label with its score."""

    code: str
    name: str
    score: float


class Classification(Record):
    """The labels of one article and the model version that gave them."""

    topics: list[Label] = Field(default_factory=list)
    countries: list[Label] = Field(default_factory=list)
    regions: list[Label] = Field(default_factory=list)
    organizations: list[Label] = Field(default_factory=list)
    model: str


class StoredArticle(Record):
    """Everything the store stage writes for one article."""

    article: Article
    dedup: DedupVerdict
    classification: Classification
