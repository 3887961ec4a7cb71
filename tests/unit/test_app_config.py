"""The Celery configuration derived from settings: what Flower sees and what each send costs."""

from config.settings import Settings
from workers.app import celery_config


def test_worker_task_events_are_on_and_sent_events_follow_the_setting() -> None:
    default = celery_config(Settings())
    assert default["worker_send_task_events"] is True
    assert default["task_send_sent_event"] is False
    assert celery_config(Settings(task_sent_events=True))["task_send_sent_event"] is True


def test_a_prefork_parent_loads_the_classifier_before_it_forks_a_child() -> None:
    from celery.signals import worker_before_create_process

    from pipeline.classify import _load
    from workers import tasks  # noqa: F401 - connects the signal handlers

    _load.cache_clear()
    worker_before_create_process.send(sender=None)
    assert _load.cache_info().currsize == 1
