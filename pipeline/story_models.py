"""The story table: one row per story cluster, refreshed from its stored copies."""

from datetime import datetime

from sqlalchemy import JSON, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from pipeline.models import Base


class StoryRow(Base):
    """A story and its republication: the original, first and last seen, copies, outlets."""

    __tablename__ = "stories"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    original_id: Mapped[str] = mapped_column(String(64))
    title: Mapped[str | None] = mapped_column(Text)
    agency: Mapped[str | None] = mapped_column(String(64))
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime] = mapped_column(index=True)
    copies: Mapped[int] = mapped_column(Integer)
    outlets: Mapped[list[str]] = mapped_column(JSON)
