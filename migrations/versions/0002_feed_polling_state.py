"""feed polling state: the feed registry's polling state (issue 3).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("feeds", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("consecutive_failures", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("last_warning", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("recent_new", sa.String(length=64), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("feeds", schema=None) as batch_op:
        batch_op.drop_column("recent_new")
        batch_op.drop_column("last_warning")
        batch_op.drop_column("last_success_at")
        batch_op.drop_column("consecutive_failures")
