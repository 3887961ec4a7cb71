"""The Redis item store: stage outputs keyed by item id and record kind, kept while in flight."""

import zlib
from typing import TypeVar

import redis

from pipeline.records import Record

R = TypeVar("R", bound=Record)

PREFIX = "wire:item"
# Page bodies are most of an item's bytes and wait in Redis while the CPU stages catch up: zlib
# at level 1 keeps a page's JSON (base64 body) at about a third, for ~1 ms in the fetch worker.
COMPRESS_ABOVE = 4096
# Every record kind a stage writes under an item id; `finish` expires them all at once.
KINDS = ("FeedEntry", "FetchedPage", "Article", "DedupVerdict", "Classification")


class ItemMissing(LookupError):  # noqa: N818 - reads as the condition it reports
    """The item is gone from the store (finished long ago, or never was)."""


def encode(record: Record, compress: bool = True) -> bytes:
    """A record as stored: its JSON, zlib-compressed when large and `compress` is on."""
    raw = record.model_dump_json().encode()
    return zlib.compress(raw, 1) if compress and len(raw) > COMPRESS_ABOVE else raw


def _decode(raw: bytes | str) -> bytes | str:
    # Stored JSON starts with "{", a zlib stream with 0x78.
    if isinstance(raw, bytes) and raw[:1] == b"\x78":
        return zlib.decompress(raw)
    return raw


def item_key(item_id: str, kind: type[Record] | str) -> str:
    """The Redis key of one record kind of an item."""
    name = kind if isinstance(kind, str) else kind.__name__
    return f"{PREFIX}:{item_id}:{name}"


class ItemStore:
    """Save and load records between stages; each stage writes its own key, so reruns agree.

    Records carry no TTL while the item is in flight: a message may wait in a queue for as
    long as the workers are away, and its body must still be there. When the item reaches a
    terminal outcome (stored, dropped, dead-lettered), `finish` gives its keys `ttl_seconds`,
    long enough for a redelivered message to rerun the stage idempotently.
    """

    def __init__(self, client: redis.Redis, ttl_seconds: int) -> None:
        self._redis = client
        self._ttl = ttl_seconds

    def save(self, record: Record) -> None:
        """Store a record under its item id (overwriting the same stage's earlier output)."""
        item_id = getattr(record, "item_id", None)
        if not isinstance(item_id, str):
            raise TypeError(f"{type(record).__name__} has no item_id")
        self._redis.set(item_key(item_id, type(record)), encode(record))

    def save_as(self, item_id: str, record: Record) -> None:
        """Store a record that carries no item id of its own."""
        self._redis.set(item_key(item_id, type(record)), encode(record))

    def load(self, item_id: str, kind: type[R]) -> R:
        """Load the record of this kind for the item, or raise ItemMissing."""
        raw = self._redis.get(item_key(item_id, kind))
        if raw is None:
            raise ItemMissing(f"{kind.__name__} of item {item_id}")
        return kind.model_validate_json(_decode(raw))

    def raw_each(self, item_ids: list[str], kind: type[Record]) -> list[bytes | str | None]:
        """The stored JSON of one record kind for many items, in one round trip (None: gone)."""
        found = self._redis.mget([item_key(item_id, kind) for item_id in item_ids])
        return [None if raw is None else _decode(raw) for raw in found]

    def raw(self, item_id: str, kind: type[Record]) -> str | None:
        """The stored JSON of a record, for dead letters."""
        raw = self._redis.get(item_key(item_id, kind))
        if raw is None:
            return None
        text = _decode(raw)
        return text.decode() if isinstance(text, bytes) else str(text)

    def put_raw(self, item_id: str, kind_name: str, raw: str) -> None:
        """Put back a record's stored JSON (a dead letter's input, on replay): in flight again."""
        self._redis.set(item_key(item_id, kind_name), raw)

    def finish(self, item_id: str) -> None:
        """The item reached a terminal outcome: its records expire after the TTL."""
        pipe = self._redis.pipeline(transaction=False)
        for kind in KINDS:
            pipe.expire(item_key(item_id, kind), self._ttl)
        pipe.execute()

    def delete(self, item_id: str, kinds: list[type[Record]]) -> None:
        """Forget an item's records at once."""
        self._redis.delete(*(item_key(item_id, kind) for kind in kinds))
