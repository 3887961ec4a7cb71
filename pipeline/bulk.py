"""Many rows in one INSERT … ON CONFLICT: a JSON document on PostgreSQL, executemany on SQLite."""

import functools
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import JSON, Boolean, Table, Text, bindparam, column, func, literal_column, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from pipeline.models import Base


def insert_rows(
    session: Session,
    model: type[Base],
    rows: Sequence[dict[str, Any]],
    update_on: str | None = None,
    keep: tuple[str, ...] = (),
) -> None:
    """Insert rows of one shape; a conflict on `update_on` updates all but `keep`, else skips."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    stmt = _statement(dialect, model, tuple(rows[0]), update_on, keep)
    if dialect == "postgresql":
        session.connection().execute(stmt, {"rows": json_document(rows)})
    else:  # sqlite3's executemany runs in C with one prepared statement
        session.connection().execute(stmt, list(rows))


def upsert_rows(
    session: Session,
    model: type[Base],
    rows: Sequence[dict[str, Any]],
    update_on: str,
    keep: tuple[str, ...] = (),
) -> set[Any] | None:
    """Upsert rows as insert_rows does; on PostgreSQL return the keys it inserted, else None."""
    dialect = session.get_bind().dialect.name
    if dialect != "postgresql" or not rows:
        insert_rows(session, model, rows, update_on, keep)
        return None
    stmt = _inserting(model, tuple(rows[0]), update_on, keep)
    result = session.connection().execute(stmt, {"rows": json_document(rows)})
    return {key for key, inserted in result if inserted}


@functools.cache
def _inserting(
    model: type[Base], columns: tuple[str, ...], update_on: str, keep: tuple[str, ...]
) -> Any:
    """PostgreSQL's upsert of these columns returning each row's key and whether it was new."""
    table = cast(Table, model.__table__)
    # An updated row keeps the lock the upsert took on it (its transaction id in xmax); an
    # inserted one has none. A row another store inserted at the same time waits for that one
    # to commit and is then updated here, so exactly one of them reports it inserted.
    inserted = literal_column("xmax = 0", Boolean)
    return _statement("postgresql", model, columns, update_on, keep).returning(
        table.c[update_on], inserted
    )


@functools.cache
def _statement(
    dialect: str,
    model: type[Base],
    columns: tuple[str, ...],
    update_on: str | None,
    keep: tuple[str, ...],
) -> Any:
    """The dialect's upsert of these columns, built once."""
    table = cast(Table, model.__table__)  # the Core table: an ORM insert takes another path
    if dialect == "postgresql":
        # psycopg sends an executemany as one INSERT per row (pipelined, but each one parsed
        # and run alone, its parameters adapted in Python); the batch as one JSON document
        # read by json_to_recordset() is one statement and one C-encoded parameter.
        shape = [column(c, table.c[c].type) for c in columns]
        document = bindparam("rows", type_=Text).cast(JSON)
        source = func.json_to_recordset(document).table_valued(*shape)
        rows = source.render_derived(with_types=True)
        stmt: Any = postgresql.insert(table).from_select(columns, select(*rows.c))
    elif dialect == "sqlite":
        stmt = sqlite.insert(table)
    else:
        raise ValueError(f"unsupported database dialect: {dialect}")
    if update_on is None:
        return stmt.on_conflict_do_nothing()
    updates = {c: stmt.excluded[c] for c in columns if c != update_on and c not in keep}
    return stmt.on_conflict_do_update(index_elements=[update_on], set_=updates)


def json_document(rows: Sequence[dict[str, Any]]) -> str:
    """Rows as the one JSON document that PostgreSQL's json_to_recordset() reads."""
    return json.dumps(rows, default=_timestamp)


def _timestamp(value: object) -> str:
    """Datetimes in the document as ISO 8601, which PostgreSQL reads with their zone."""
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")
