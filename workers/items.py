"""The Redis item store: stage outputs keyed by item id and record kind, with a TTL."""

from typing import TypeVar

import redis

from pipeline.records import Record

R = TypeVar("R", bound=Record)

PREFIX = "wire:item"


class ItemMissing(LookupError):  # noqa: N818 - reads as the condition it reports
    """The item is gone from the store (its TTL ran out, or it never was)."""


def _key(item_id: str, kind: type[Record] | str) -> str:
    name = kind if isinstance(kind, str) else kind.__name__
    return f"{PREFIX}:{item_id}:{name}"


class ItemStore:
    """Save and load records between stages; each stage writes its own key, so reruns agree."""

    def __init__(self, client: redis.Redis, ttl_seconds: int) -> None:
        self._redis = client
        self._ttl = ttl_seconds

    def save(self, record: Record) -> None:
        """Store a record under its item id (overwriting the same stage's earlier output)."""
        item_id = getattr(record, "item_id", None)
        if not isinstance(item_id, str):
            raise TypeError(f"{type(record).__name__} has no item_id")
        self._redis.set(_key(item_id, type(record)), record.model_dump_json(), ex=self._ttl)

    def save_as(self, item_id: str, record: Record) -> None:
        """Store a record that carries no item id of its own."""
        self._redis.set(_key(item_id, type(record)), record.model_dump_json(), ex=self._ttl)

    def load(self, item_id: str, kind: type[R]) -> R:
        """Load the record of this kind for the item, or raise ItemMissing."""
        raw = self._redis.get(_key(item_id, kind))
        if raw is None:
            raise ItemMissing(f"{kind.__name__} of item {item_id}")
        return kind.model_validate_json(raw)

    def raw(self, item_id: str, kind: type[Record]) -> str | None:
        """The stored JSON of a record, for dead letters."""
        raw = self._redis.get(_key(item_id, kind))
        if raw is None:
            return None
        return raw.decode() if isinstance(raw, bytes) else str(raw)

    def put_raw(self, item_id: str, kind_name: str, raw: str) -> None:
        """Put back a record's stored JSON (a dead letter's input, on replay)."""
        self._redis.set(_key(item_id, kind_name), raw, ex=self._ttl)

    def delete(self, item_id: str, kinds: list[type[Record]]) -> None:
        """Forget an item's records once it is stored for good."""
        self._redis.delete(*(_key(item_id, kind) for kind in kinds))
