"""The Celery configuration derived from settings: what Flower sees and what each send costs."""

from config.settings import Settings
from workers.app import celery_config


def test_worker_task_events_are_on_and_sent_events_follow_the_setting() -> None:
    default = celery_config(Settings())
    assert default["worker_send_task_events"] is True
    assert default["task_send_sent_event"] is False
    assert celery_config(Settings(task_sent_events=True))["task_send_sent_event"] is True
