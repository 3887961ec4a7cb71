"""The Celery app, built from settings: the one place where things are wired."""

from typing import Any

from celery import Celery
from celery.signals import setup_logging
from kombu import Queue  # type: ignore[attr-defined]

from config.settings import Settings, SettingsError, get_settings
from workers import flow, logs


def celery_config(settings: Settings) -> dict[str, Any]:
    """Celery's configuration, derived from our settings."""
    return {
        "broker_url": settings.broker_url,
        "broker_connection_retry_on_startup": True,
        # Redis redelivers unacked messages after this; retries must be shorter (see settings).
        "broker_transport_options": {"visibility_timeout": settings.visibility_timeout},
        "task_serializer": "json",
        "accept_content": ["json"],
        "result_serializer": "json",
        # Nobody reads task results: outcomes are counted in Redis and stored in the database.
        "task_ignore_result": True,
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "task_queues": [Queue(name) for name in flow.QUEUES],
        "task_default_queue": "poll",
        "task_routes": flow.routes(),
        # Flower learns a task's name, arguments and state from the worker's events.
        "task_send_sent_event": settings.task_sent_events,
        "worker_send_task_events": True,
        "worker_hijack_root_logger": False,
        "worker_max_tasks_per_child": settings.worker_max_tasks_per_child or None,
        "worker_max_memory_per_child": settings.worker_max_memory_per_child_kb or None,
        "beat_schedule": {
            "dispatch-due-feeds": {
                "task": flow.DISPATCH_TASK,
                "schedule": settings.beat_tick_seconds,
                # A tick older than the next one is useless: let it expire instead of piling up.
                "options": {"expires": settings.beat_tick_seconds},
            },
            "reconcile-lost-messages": {
                "task": flow.RECONCILE_TASK,
                "schedule": settings.reconcile_interval,
                "options": {"expires": settings.reconcile_interval},
            },
        },
        "timezone": "UTC",
    }


@setup_logging.connect
def _structured_logs(**_: Any) -> None:
    """Celery's own log set-up is replaced by ours (JSON unless stderr is a terminal)."""
    logs.configure(get_settings().log_level)


def create_app(settings: Settings | None = None) -> Celery:
    """A Celery app for these settings, with the stage tasks registered."""
    app = Celery("wire")
    app.conf.update(celery_config(settings or get_settings()))
    app.conf.imports = ("workers.tasks", "workers.fused", "workers.store_batch")
    return app


def _app_or_exit() -> Celery:
    """The app of this process; bad settings stop it with their description, not a traceback."""
    try:
        return create_app()
    except SettingsError as exc:
        raise SystemExit(f"wire: {exc}") from None


app = _app_or_exit()
