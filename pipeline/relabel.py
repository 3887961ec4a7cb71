"""Re-label stored articles with the current classifier (`wire reclassify`)."""

from datetime import datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from pipeline.classify import Classifier, classify
from pipeline.models import ArticleRow, LabelRow
from pipeline.store import label_values


def batch_ids(session: Session, since: datetime | None, after: str, size: int) -> list[str]:
    """The next `size` article ids after `after` (keyset order), stored at or after `since`."""
    query = select(ArticleRow.id).where(ArticleRow.id > after)
    if since is not None:
        query = query.where(ArticleRow.stored_at >= since)
    return list(session.scalars(query.order_by(ArticleRow.id).limit(size)))


def relabel(session: Session, ids: list[str], model: Classifier) -> int:
    """Replace the labels and model version of these articles, as the store stage writes them."""
    rows = session.scalars(select(ArticleRow).where(ArticleRow.id.in_(ids))).all()
    labels = []
    for row in rows:
        result = classify(row.title, row.text, row.dateline, model)
        labels.extend(label_values(row.id, result))
    # Same shape as store_many: the article row keeps its columns, its labels are replaced whole.
    session.execute(
        update(ArticleRow).where(ArticleRow.id.in_(ids)).values(model_version=model.version)
    )
    session.execute(delete(LabelRow).where(LabelRow.article_id.in_(ids)))
    if labels:
        session.execute(insert(LabelRow), labels)
    return len(rows)
