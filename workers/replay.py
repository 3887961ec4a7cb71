"""`wire replay`: dead letters back to their stage, with their input restored."""

from sqlalchemy import select

from pipeline.models import DeadLetter
from pipeline.registry import now
from workers.app import app
from workers.resources import resources


def replay_dead_letters(stage: str | None, limit: int) -> int:
    """Restore each dead letter's input to the item store and send its message again."""
    res = resources()
    sent = 0
    with res.sessions.begin() as session:
        query = select(DeadLetter).where(DeadLetter.replayed_at.is_(None))
        if stage:
            query = query.where(DeadLetter.stage == stage)
        for letter in session.scalars(query.order_by(DeadLetter.id).limit(limit)):
            payload = letter.payload
            for kind, raw in payload.get("input", {}).items():
                res.items.put_raw(letter.item_id, kind, raw)
            app.send_task(payload["task"], args=payload["args"], kwargs=payload["kwargs"],
                          queue=letter.stage)  # fmt: skip
            letter.replayed_at = now()
            sent += 1
    return sent
