"""On PostgreSQL, newly inserted copies folded into their stories by one upsert."""

from collections import defaultdict
from types import SimpleNamespace
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from pipeline.bulk import json_document
from pipeline.stories import pointer_changes, refresh_stories, story_values, write_pointers

# The batch's own values of each story go in; a story already stored merges them with its row
# under the row lock the upsert takes, so no count, lock or read of its copies is needed first.
# The original is the better of the two originals by pick_original's key (agency first, then the
# earlier store, then the id in code-point order, as Python compares strings). Outlets are
# merged and sorted by code point too. Each article is looked up by its key alone: a join, or
# EXISTS, was planned as a scan of every article. Rows go in id order, the order update_stories
# locks them in, so two stores of shared stories wait for each other and never deadlock.
_FOLD = text(
    """
    INSERT INTO stories AS s
        (id, original_id, title, agency, first_seen, last_seen, copies, outlets)
    SELECT r.id, r.original_id, r.title, r.agency, r.first_seen, r.last_seen, r.copies, r.outlets
    FROM json_to_recordset(CAST(:rows AS JSON)) AS r(
        id VARCHAR, original_id VARCHAR, title TEXT, agency VARCHAR,
        first_seen TIMESTAMPTZ, last_seen TIMESTAMPTZ, copies INTEGER, outlets JSON)
    ORDER BY r.id
    ON CONFLICT (id) DO UPDATE SET
        (original_id, title, agency) = (
            SELECT c.original_id, c.title, c.agency
            FROM (VALUES
                (excluded.original_id, excluded.title, excluded.agency,
                 (SELECT a.stored_at FROM articles AS a WHERE a.id = excluded.original_id)),
                (s.original_id, s.title, s.agency,
                 (SELECT a.stored_at FROM articles AS a WHERE a.id = s.original_id))
            ) AS c(original_id, title, agency, stored_at)
            ORDER BY c.agency IS NULL, c.stored_at NULLS LAST, c.original_id COLLATE "C"
            LIMIT 1),
        first_seen = LEAST(s.first_seen, excluded.first_seen),
        last_seen = GREATEST(s.last_seen, excluded.last_seen),
        -- A stored original gone from the table (deleted by hand): -1 asks for a rebuild.
        copies = CASE WHEN (SELECT a.id FROM articles AS a WHERE a.id = s.original_id) IS NULL
                      THEN -1 ELSE s.copies + excluded.copies END,
        outlets = (
            SELECT json_agg(u.outlet ORDER BY u.outlet COLLATE "C")
            FROM (SELECT json_array_elements_text(s.outlets)
                  UNION SELECT json_array_elements_text(excluded.outlets)) AS u(outlet))
    RETURNING s.id, s.original_id, s.copies
    """
)


def fold_inserted(session: Session, rows: list[dict[str, Any]]) -> None:
    """Fold copies this transaction inserted (their article row values) into their stories.

    Only for rows the article upsert reported as inserted: each adds one to its story's count,
    and a copy that another store inserted at the same time is counted by that store alone.
    """
    copies: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        copies[row["story_id"]].append(SimpleNamespace(**row))
    stories = [story_values(story_id, group) for story_id, group in copies.items()]
    conn = session.connection()
    result = conn.execute(_FOLD, {"rows": json_document(stories)})
    repoints, changed, rebuild = [], [], []
    for story_id, original, count in result:
        fresh = copies[story_id]
        if count < 0:
            rebuild.append(story_id)  # its row no longer matches its copies
        elif count > len(fresh) and any(copy.id == original for copy in fresh):
            # A new copy took over a story stored before: every copy follows it.
            repoints.append({"story": story_id, "original": original})
            changed.append({"copy": original, "original": None})
        else:
            changed.extend(pointer_changes(fresh, original))
    write_pointers(session, repoints, changed)
    if rebuild:  # their rows are locked already, by the upsert
        refresh_stories(session, rebuild)
