"""Settings: WIRE_* variables, embedded defaults, failing fast on bad values."""

from pathlib import Path

import pytest
from pydantic import ValidationError

from config.settings import Settings, describe


def test_settings_default_to_embedded_sqlite_and_redis(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WIRE_REDIS_URL", raising=False)
    monkeypatch.delenv("WIRE_DATABASE_URL", raising=False)
    settings = Settings(_env_file=None, var_dir=Path("/tmp/wire-var"))
    assert settings.embedded_redis
    assert settings.database_url_resolved == "sqlite:////tmp/wire-var/wire.db"
    assert settings.broker_url == "redis+socket:///tmp/wire-var/redis.sock"
    assert settings.redis_url_resolved == "unix:///tmp/wire-var/redis.sock"


def test_settings_read_wire_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WIRE_REDIS_URL", "redis://cache:6379/2")
    monkeypatch.setenv("WIRE_ALLOW_PRIVATE_NETWORKS", "true")
    monkeypatch.setenv("WIRE_MAX_PAGE_BYTES", "20000")
    settings = Settings(_env_file=None)
    assert settings.broker_url == "redis://cache:6379/2"
    assert settings.fetch_policy().allow_private_networks is True
    assert settings.fetch_policy().max_bytes == 20000


def test_settings_treat_an_empty_url_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WIRE_REDIS_URL", "")
    assert Settings(_env_file=None).embedded_redis


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("WIRE_ALLOW_PRIVATE_NETWORKS", "perhaps"),
        ("WIRE_MAX_REDIRECTS", "-1"),
        ("WIRE_CONNECT_TIMEOUT", "0"),
        ("WIRE_RETRY_BACKOFF_MAX", "7200"),
    ],
)
def test_settings_fail_fast_on_bad_values(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError):
        Settings(_env_file=None)


@pytest.mark.parametrize(
    ("name", "value", "said"),
    [
        ("WIRE_MAX_REDIRECTS", "many", "WIRE_MAX_REDIRECTS: Input should be a valid integer"),
        ("WIRE_RETRY_BACKOFF_MAX", "7200", "must be below WIRE_VISIBILITY_TIMEOUT"),
    ],
)
def test_bad_settings_are_described_without_their_values(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, said: str
) -> None:
    monkeypatch.setenv("WIRE_REDIS_URL", "redis://:topsecret@cache:6379/0")
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError) as caught:
        Settings(_env_file=None)
    message = describe(caught.value)
    assert said in message
    assert "topsecret" not in message
