"""docker-compose.yml against the Compose Specification, and every command a real `wire` one."""

from pathlib import Path
from typing import Any

import pytest
import yaml
from compose_spec import PyOptions

from workers.cli import parser

COMPOSE = Path(__file__).resolve().parents[2] / "docker-compose.yml"


def _services() -> dict[str, Any]:
    merged = PyOptions(apply_merge=True).from_yaml(COMPOSE.read_text())
    merged.validate()
    services: dict[str, Any] = merged.to_dict()["services"]
    return services


def test_compose_file_follows_the_compose_specification() -> None:
    assert {"redis", "postgres", "worker-io", "worker-cpu", "beat", "flower"} <= set(_services())


@pytest.mark.parametrize(
    ("mistake", "fix"),
    [("healthcheck:", "healthchek:"), ("interval: 5s", "interval: often"), ("ports:", "port:")],
)
def test_compose_validation_rejects_a_mistake(mistake: str, fix: str) -> None:
    with pytest.raises(ValueError, match=r"."):
        PyOptions(apply_merge=True).from_yaml(
            COMPOSE.read_text().replace(mistake, fix, 1)
        ).validate()


def test_every_wire_service_runs_a_real_wire_command() -> None:
    wire = {name: s for name, s in _services().items() if s.get("image") == "wire-ingest:latest"}
    assert len(wire) >= 6
    for name, service in wire.items():
        args = parser().parse_args(service["command"])
        assert callable(args.handler), name


def test_fleet_has_one_beat_one_worker_per_profile_and_health_checks() -> None:
    services = _services()
    commands = {name: s["command"] for name, s in services.items() if "command" in s}
    assert [name for name, c in commands.items() if c[0] == "beat"] == ["beat"]
    pools = {name: c[c.index("-P") + 1] for name, c in commands.items() if c[0] == "worker"}
    assert pools == {"worker-io": "threads", "worker-cpu": "prefork", "worker-store": "threads"}
    assert all("healthcheck" in s for name, s in services.items() if name != "migrate")
    assert all(s["stop_grace_period"] == "2m" for name, s in services.items() if name in pools)
    redis = " ".join(services["redis"]["command"])
    assert "--appendonly yes" in redis


def test_compose_secrets_are_required_variables() -> None:
    raw = yaml.safe_load(COMPOSE.read_text())
    assert raw["services"]["postgres"]["environment"]["POSTGRES_PASSWORD"].startswith(
        "${POSTGRES_PASSWORD:?"
    )
    assert raw["services"]["flower"]["environment"]["FLOWER_BASIC_AUTH"].startswith(
        "${FLOWER_BASIC_AUTH:?"
    )
