"""Per-process clients (Redis, database, HTTP, models), made lazily and remade after fork."""

import os
from dataclasses import dataclass, field
from functools import cached_property

import httpx
import redis
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from config.settings import Settings, get_settings
from pipeline.classify import Classifier, load_model
from pipeline.db import make_engine, session_factory
from pipeline.http import make_client
from workers.items import ItemStore


@dataclass
class Resources:
    """The clients one worker process uses; nothing is opened until first asked for."""

    settings: Settings
    pid: int = field(default_factory=os.getpid)

    @cached_property
    def redis(self) -> redis.Redis:
        """The Redis client of the item store, dedup index, stats and locks."""
        return redis.Redis.from_url(self.settings.redis_url_resolved, health_check_interval=30)

    @cached_property
    def items(self) -> ItemStore:
        """The item store: records between stages, with a TTL."""
        return ItemStore(self.redis, self.settings.item_ttl_seconds)

    @cached_property
    def engine(self) -> Engine:
        """The database engine."""
        return make_engine(self.settings.database_url_resolved)

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        """A session factory on the engine."""
        return session_factory(self.engine)

    @cached_property
    def http(self) -> httpx.Client:
        """One HTTP client per process, reusing connections."""
        return make_client(self.settings.fetch_policy())

    @cached_property
    def classifier(self) -> Classifier:
        """The classification model, loaded once per process."""
        return load_model(self.settings.model_choice())

    def close(self) -> None:
        """Release what was opened (only what was)."""
        if "http" in self.__dict__:
            self.http.close()
        if "engine" in self.__dict__:
            self.engine.dispose()
        if "redis" in self.__dict__:
            self.redis.close()


_current: Resources | None = None


def resources() -> Resources:
    """This process's resources; a forked child gets fresh ones, never its parent's sockets."""
    global _current
    if _current is None or _current.pid != os.getpid():
        _current = Resources(get_settings())
    return _current


def reset() -> None:
    """Drop this process's clients (after fork, and at shutdown)."""
    global _current
    if _current is not None and _current.pid == os.getpid():
        _current.close()
    _current = None
