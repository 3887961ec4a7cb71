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
# So does the reconciler, which re-sends items whose message the broker lost.
RECONCILE_TASK: Final = "wire.reconcile"
# The CPU stages share a resource profile: with WIRE_FUSE_CPU_STAGES one task runs them in this
# order for one item on one worker (each still its own function with its own outcome), saving
# the broker and item-store round trips between them. It rides the first one's queue.
FUSED_STAGES: Final = ("clean", "dedup", "classify", "store")
FUSED_TASK: Final = "wire.process"
# The same for several items in one message, one after another (workers/send.py groups them).
FUSED_BATCH_TASK: Final = "wire.process_batch"
# Writes the stored articles the fused task parked for a batch; it rides the store queue.
STORE_FLUSH_TASK: Final = "wire.store_flush"


def task_name(stage: str) -> str:
    """The stable Celery task name of a stage (wire.<verb>)."""
    return f"wire.{stage}"


def routes() -> dict[str, dict[str, str]]:
    """Celery task routes: each stage on its own queue."""
    table = {task_name(stage): {"queue": stage} for stage in STAGES}
    table[DISPATCH_TASK] = {"queue": "poll"}
    table[RECONCILE_TASK] = {"queue": "poll"}
    table[FUSED_TASK] = {"queue": FUSED_STAGES[0]}
    table[FUSED_BATCH_TASK] = {"queue": FUSED_STAGES[0]}
    table[STORE_FLUSH_TASK] = {"queue": "store"}
    return table


def next_stage(stage: str) -> str | None:
    """The stage after this one, or None after the last."""
    return NEXT[stage]


def entry_task(stage: str, fused: bool) -> str:
    """The task an item sent into `stage` goes to: the fused one for the first CPU stage."""
    if fused and stage == FUSED_STAGES[0]:
        return FUSED_TASK
    return task_name(stage)


def fused_after(stage: str) -> tuple[str, ...]:
    """The fused stages that follow `stage`, in order."""
    return FUSED_STAGES[FUSED_STAGES.index(stage) + 1 :]
