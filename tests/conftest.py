"""Shared fixtures: real Redis, real SQLite and PostgreSQL, isolated per test."""

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy import text

from pipeline.db import make_engine, upgrade
from tests.services import postgres_url, redis_url

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def redis_service() -> Iterator[str]:
    """The URL of a real Redis for this test session."""
    url, embedded = redis_url()
    yield url
    if embedded is not None:
        embedded.close()


@pytest.fixture
def redis_client(redis_service: str) -> Iterator[redis.Redis]:
    """A Redis client on an emptied database."""
    client = redis.Redis.from_url(redis_service)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture(scope="session")
def postgres_service() -> str:
    """The PostgreSQL URL; skipped clearly when absent, failed when CI requires it."""
    url = postgres_url()
    if url is None:
        message = (
            "PostgreSQL not reachable at WIRE_TEST_POSTGRES_URL "
            f"({os.environ.get('WIRE_TEST_POSTGRES_URL', 'postgresql://postgres@127.0.0.1:5432/test')})"
        )
        if os.environ.get("WIRE_TEST_REQUIRE_POSTGRES"):
            pytest.fail(message)
        pytest.skip(message)
    return url


@pytest.fixture
def postgres_db(postgres_service: str) -> Iterator[str]:
    """A fresh schema-less PostgreSQL database for one test, dropped afterwards."""
    name = f"wire_test_{uuid.uuid4().hex[:10]}"
    admin = make_engine(postgres_service).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    base, _, _ = postgres_service.rpartition("/")
    yield f"{base}/{name}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A SQLite file URL in the test's own folder."""
    return f"sqlite:///{tmp_path / 'wire.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated database of each kind: SQLite file, then PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'wire.db'}"
    else:
        url = request.getfixturevalue("postgres_db")
    upgrade(url)
    return url
