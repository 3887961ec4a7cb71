"""article text compressed with lz4 on PostgreSQL (issue 8).

PostgreSQL compresses a long text into TOAST with pglz by default; pglz was the largest part of
the server's CPU per stored article. lz4 (PostgreSQL 14 and later, when the server is built with
it, as Debian's and the official images are) compresses several times faster. Values already
stored keep their compression; SQLite has no such setting.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The server lists lz4 among this setting's values only when it was built with lz4.
_HAS_LZ4 = sa.text(
    "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'"
)


def _set_compression(method: str) -> None:
    """Set the article text's compression on a PostgreSQL that has lz4; elsewhere do nothing."""
    bind = op.get_bind()
    if bind.dialect.name == "postgresql" and bind.execute(_HAS_LZ4).scalar():
        op.execute(f"ALTER TABLE articles ALTER COLUMN text SET COMPRESSION {method}")


def upgrade() -> None:
    """Apply this revision."""
    _set_compression("lz4")


def downgrade() -> None:
    """Revert this revision."""
    _set_compression("pglz")
