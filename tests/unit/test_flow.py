"""The stage order and the fused CPU task's place in it."""

from workers import flow


def test_fused_setting_sends_the_first_cpu_stage_to_the_fused_task() -> None:
    assert flow.entry_task("clean", fused=True) == flow.FUSED_TASK
    assert flow.entry_task("clean", fused=False) == "wire.clean"


def test_fused_setting_leaves_every_other_stage_its_own_task() -> None:
    for stage in ("poll", "fetch", "dedup", "classify", "store"):
        assert flow.entry_task(stage, fused=True) == f"wire.{stage}"


def test_fused_stages_are_the_cpu_stages_in_stage_order() -> None:
    assert flow.STAGES[2:] == flow.FUSED_STAGES
    assert [flow.next_stage(s) for s in flow.FUSED_STAGES[:-1]] == list(flow.FUSED_STAGES[1:])


def test_fused_after_lists_the_remaining_fused_stages() -> None:
    assert flow.fused_after("clean") == ("dedup", "classify", "store")
    assert flow.fused_after("classify") == ("store",)
    assert flow.fused_after("store") == ()


def test_fused_task_rides_the_first_cpu_stage_queue_and_stages_keep_theirs() -> None:
    table = flow.routes()
    assert table[flow.FUSED_TASK] == {"queue": "clean"}
    assert all(table[flow.task_name(s)] == {"queue": s} for s in flow.STAGES)
