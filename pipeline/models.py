"""SQLAlchemy 2.0 typed models: feeds, articles, their labels and dead letters."""

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    """Declarative base of every table."""

    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: DateTime(timezone=True),
        dict[str, Any]: JSON,
    }


class Feed(Base):
    """One polled feed and its polling state."""

    __tablename__ = "feeds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    url: Mapped[str] = mapped_column(String(2048), unique=True)
    title: Mapped[str | None] = mapped_column(String(512))
    added_at: Mapped[datetime]
    next_poll_at: Mapped[datetime] = mapped_column(index=True)
    interval_seconds: Mapped[int]
    etag: Mapped[str | None] = mapped_column(String(512))
    last_modified: Mapped[str | None] = mapped_column(String(128))
    content_hash: Mapped[str | None] = mapped_column(String(64))
    last_status: Mapped[int | None]
    last_polled_at: Mapped[datetime | None]
    last_new_entry_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    failure_score: Mapped[float] = mapped_column(Float, default=0.0)
    entries_seen: Mapped[int] = mapped_column(Integer, default=0)
    # Polling state added by migration 0002 (issue 3).
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    last_success_at: Mapped[datetime | None]
    last_warning: Mapped[str | None] = mapped_column(Text)
    #: New-entry counts of the recent polls, oldest first ("0,3,1"), for the adaptive interval.
    recent_new: Mapped[str | None] = mapped_column(String(64))


class ArticleRow(Base):
    """One stored article, keyed by the item id derived from its link."""

    __tablename__ = "articles"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    url: Mapped[str] = mapped_column(String(2048))
    canonical_url: Mapped[str] = mapped_column(String(2048), index=True)
    feed_url: Mapped[str | None] = mapped_column(String(2048))
    title: Mapped[str | None] = mapped_column(Text)
    authors: Mapped[list[str]] = mapped_column(JSON)
    published_at: Mapped[datetime | None]
    updated_at: Mapped[datetime | None]
    language: Mapped[str | None] = mapped_column(String(16))
    site_name: Mapped[str | None] = mapped_column(String(512))
    description: Mapped[str | None] = mapped_column(Text)
    image_url: Mapped[str | None] = mapped_column(String(2048))
    text: Mapped[str] = mapped_column(Text)
    agency: Mapped[str | None] = mapped_column(String(64))
    dateline: Mapped[str | None] = mapped_column(String(128))
    tags: Mapped[list[str]] = mapped_column(JSON)
    word_count: Mapped[int]
    text_hash: Mapped[str] = mapped_column(String(64), index=True)
    story_id: Mapped[str] = mapped_column(String(64), index=True)
    duplicate_of: Mapped[str | None] = mapped_column(String(64))
    model_version: Mapped[str] = mapped_column(String(64))
    stored_at: Mapped[datetime]


class LabelRow(Base):
    """One label of an article (topic, country, region or organization) with its score."""

    __tablename__ = "labels"

    article_id: Mapped[str] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(256))
    score: Mapped[float] = mapped_column(Float)
    model: Mapped[str] = mapped_column(String(64))

    __table_args__ = (Index("ix_labels_kind_code", "kind", "code"),)


class DeadLetter(Base):
    """An item whose stage failed for good: enough to inspect it and replay it."""

    __tablename__ = "dead_letters"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    stage: Mapped[str] = mapped_column(String(32), index=True)
    item_id: Mapped[str] = mapped_column(String(64), index=True)
    reason: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int]
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime]
    replayed_at: Mapped[datetime | None]
