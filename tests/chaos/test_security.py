"""Security defaults: JSON only (no pickle), Flower behind credentials, the SSRF guard on."""

import re
from pathlib import Path

import pytest
import yaml

from config.settings import Settings
from workers.app import celery_config

ROOT = Path(__file__).resolve().parents[2]


def test_no_code_ships_pickle_and_celery_accepts_json_only() -> None:
    shipped = [p for d in ("pipeline", "workers", "config") for p in (ROOT / d).rglob("*.py")]
    assert shipped
    users = [p for p in shipped if re.search(r"\b(c?pickle|dill|marshal)\b", p.read_text())]
    assert users == []
    config = celery_config(Settings(redis_url="redis://127.0.0.1:6379/0"))
    assert config["task_serializer"] == config["result_serializer"] == "json"
    assert config["accept_content"] == ["json"]
    assert "pickle" not in str(config.get("event_serializer", "json"))


def test_compose_flower_requires_credentials_and_exposes_no_unauthenticated_api() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    flower = compose["services"]["flower"]
    required = r"\$\{FLOWER_BASIC_AUTH:\?[^}]+\}"
    assert re.fullmatch(required, flower["environment"]["FLOWER_BASIC_AUTH"])
    services = compose["services"].values()
    environment = {k for s in services for k in s.get("environment", {})}
    assert "FLOWER_UNAUTHENTICATED_API" not in environment
    assert not any("unauthenticated" in str(s.get("command", "")) for s in services)


def test_ssrf_guard_is_on_by_default_and_in_compose(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WIRE_ALLOW_PRIVATE_NETWORKS", raising=False)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.allow_private_networks is False
    assert settings.fetch_policy().allow_private_networks is False
    compose = (ROOT / "docker-compose.yml").read_text()
    assert "WIRE_ALLOW_PRIVATE_NETWORKS" not in compose
