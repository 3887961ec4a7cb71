"""Items sent by many threads of one process, published together as one message.

A thread that sends an item waits until the message holding it is published (or raises the
publish's error), so a task that sends and then returns is acked only with its item on the
broker. A batch is published by the thread that fills it, or by the thread that opened it once
`wait` has passed; a process that runs one task at a time (`size` 1) publishes at once.
"""

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass
class _Batch(Generic[T]):
    items: list[T] = field(default_factory=list)
    published: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None


class Coalescer(Generic[T]):
    """Groups items sent from concurrent threads into batches of up to `size`."""

    def __init__(self, publish: Callable[[list[T]], None], size: int, wait: float) -> None:
        self._publish = publish
        self.size = max(1, size)
        self.wait = wait
        self._lock = threading.Lock()
        self._open: _Batch[T] | None = None

    def send(self, item: T) -> None:
        """Add the item to the open batch; return once its batch is published."""
        with self._lock:
            batch, opened = self._open, self._open is None
            if batch is None:
                batch = _Batch()
            batch.items.append(item)
            full = len(batch.items) >= self.size
            self._open = None if full else batch
        # The thread that filled the batch publishes it; the one that opened it, once it waited.
        if full or (opened and not batch.published.wait(self.wait) and self._close(batch)):
            self._flush(batch)
        batch.published.wait()
        if batch.error is not None:
            raise batch.error

    def _close(self, batch: _Batch[T]) -> bool:
        """Take the batch for publishing unless a thread that filled it took it already."""
        with self._lock:
            if self._open is not batch:
                return False
            self._open = None
            return True

    def _flush(self, batch: _Batch[T]) -> None:
        try:
            self._publish(batch.items)
        except BaseException as exc:  # every sender of the batch learns it, not only this one
            batch.error = exc
        finally:
            batch.published.set()
