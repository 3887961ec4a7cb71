"""A fixture pointing this process's resources at the test database and Redis."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from config.settings import get_settings
from workers.resources import reset


@pytest.fixture
def fleet_env(
    monkeypatch: pytest.MonkeyPatch, database_url: str, redis_service: str, tmp_path: Path
) -> Iterator[None]:
    """WIRE_* for the test's database and Redis (monkeypatch restores them), fresh clients."""
    for name, value in {
        "WIRE_DATABASE_URL": database_url,
        "WIRE_REDIS_URL": redis_service,
        "WIRE_VAR_DIR": str(tmp_path),
        "WIRE_ALLOW_PRIVATE_NETWORKS": "true",
        "WIRE_READ_TIMEOUT": "1",
        "WIRE_TOTAL_TIMEOUT": "3",
        "WIRE_FETCH_HOST_RATE": "20",
    }.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    reset()
    yield
    reset()
    get_settings.cache_clear()


@pytest.fixture
def store_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fused task stores its article itself (batched stores: test_store_batch.py)."""
    monkeypatch.setenv("WIRE_STORE_BATCH_SIZE", "1")
