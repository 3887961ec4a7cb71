"""Starting and stopping local fleet processes: workers, beat and the embedded Redis."""

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from config.settings import Settings, get_settings
from workers import embedded

IO_QUEUES = "poll,fetch"
CPU_QUEUES = "clean,dedup,classify,store"


def celery_argv(*args: str) -> list[str]:
    """The command line of a celery sub-command on our app."""
    return [sys.executable, "-m", "celery", "-A", "workers.app", *args]


def worker_argv(queues: str, concurrency: int, pool: str, name: str) -> list[str]:
    """A worker consuming some queues; late acks and prefetch 1 come from the app's config."""
    return celery_argv(
        "worker", "-Q", queues, "-c", str(concurrency), "-P", pool,
        "-n", f"{name}@%h", "--without-gossip", "--without-mingle", "-l", "INFO",
    )  # fmt: skip


def local_worker_argvs(cpu: int | None = None) -> list[list[str]]:
    """Two workers: threads for network-bound stages, processes for CPU-bound ones."""
    cores = cpu or get_settings().cpu_workers or os.cpu_count() or 1
    return [
        worker_argv(IO_QUEUES, 8, "threads", f"io-{os.getpid()}"),
        worker_argv(CPU_QUEUES, cores, "prefork", f"cpu-{os.getpid()}"),
    ]


def beat_argv(settings: Settings) -> list[str]:
    """The single beat of the fleet, its schedule state kept under var_dir."""
    schedule = (settings.var_dir / "celerybeat-schedule").resolve()
    return celery_argv("beat", "-s", str(schedule), "-l", "INFO")


def embedded_running(settings: Settings) -> bool:
    """Whether the embedded Redis of this var folder answers."""
    return embedded.is_running(settings.var_dir)


@contextlib.contextmanager
def embedded_redis(settings: Settings) -> Iterator[None]:
    """Run the embedded Redis for the duration when WIRE_REDIS_URL is unset."""
    started = settings.embedded_redis and embedded.start(settings.var_dir)
    try:
        yield
    finally:
        if started:
            embedded.stop(settings.var_dir)


Popen = subprocess.Popen[bytes]


@contextlib.contextmanager
def processes(
    argvs: list[list[str]], log_file: Path | None = None, env: dict[str, str] | None = None
) -> Iterator[list[Popen]]:
    """Start the processes; on exit, ask each to finish (SIGTERM: warm shutdown), then wait."""
    procs = [spawn(argv, log_file, env) for argv in argvs]
    try:
        yield procs
    finally:
        stop_all(procs)


def spawn(
    argv: list[str], log_file: Path | None = None, env: dict[str, str] | None = None
) -> Popen:
    """Start one process (with extra environment), output to the terminal or a log file."""
    full_env = {**os.environ, **(env or {})}
    if log_file is None:
        return subprocess.Popen(argv, env=full_env)  # noqa: S603 - our interpreter and arguments
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("ab") as out:
        return subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=full_env)  # noqa: S603


def stop_all(procs: list[Popen], timeout: float = 60.0) -> None:
    """SIGTERM lets a Celery worker finish what it holds; SIGKILL only past the timeout."""
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
