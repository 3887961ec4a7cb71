"""The one place that knows the stage order, the queues and the task names."""

from typing import Final

STAGES: Final = ("poll", "fetch", "clean", "dedup", "classify", "store")
QUEUES: Final = STAGES
NEXT: Final[dict[str, str | None]] = {
    "poll": "fetch",
    "fetch": "clean",
    "clean": "dedup",
    "dedup": "classify",
    "classify": "store",
    "store": None,
}
# The beat's dispatcher is light and rides the poll queue.
DISPATCH_TASK: Final = "wire.dispatch_due"


def task_name(stage: str) -> str:
    """The stable Celery task name of a stage (wire.<verb>)."""
    return f"wire.{stage}"


def routes() -> dict[str, dict[str, str]]:
    """Celery task routes: each stage on its own queue."""
    table = {task_name(stage): {"queue": stage} for stage in STAGES}
    table[DISPATCH_TASK] = {"queue": "poll"}
    return table


def next_stage(stage: str) -> str | None:
    """The stage after this one, or None after the last."""
    return NEXT[stage]
