"""`wire classify` and `wire classify train` as real processes, and the trained-model round trip."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.classify import ModelChoice, classify, load_model
from pipeline.train_topics import Example, parse_example, train

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "tests" / "fixtures" / "seed" / "kremlin-nato-body.txt"
SEED_TITLE = "Kremlin says U.S. position ruling out NATO membership for Ukraine gives satisfaction"

# A toy newsroom taxonomy, written for this test: farming desk versus space desk.
FARM = [
    "Farmers harvested a record wheat crop after rain, and grain prices at the harvest fell.",
    "The drought cut the maize harvest; farmers asked for help as cattle feed ran short.",
    "Dairy farmers said milk prices paid by processors no longer cover feed for their cattle.",
    "A wheat blight spread across farms, and growers sprayed fungicide before the harvest.",
    "Cattle ranchers and grain farmers met the farm minister about crop subsidies.",
    "Tractor sales rose as farmers invested after a good maize and wheat harvest.",
]
SPACE = [
    "The rocket lifted off carrying a satellite to orbit, and the launch crew cheered.",
    "Astronauts on the space station repaired a solar panel during a six-hour spacewalk.",
    "The probe entered orbit around Mars after a seven-month flight through space.",
    "A new telescope in orbit sent its first images of distant galaxies to astronomers.",
    "The launch of the rocket was delayed by wind; the satellite stays in its hangar.",
    "Astronauts returned from the station after six months in orbit, landing in a capsule.",
]


def _wire(args: list[str], stdin: str = "", env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "workers.cli", *args],
        input=stdin, capture_output=True, text=True, cwd=ROOT, timeout=120,
        env={**os.environ, **(env or {})}, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def seed_output() -> dict[str, list[dict[str, object]]]:
    line = json.dumps({"id": "seed", "title": SEED_TITLE, "text": SEED.read_text("utf-8")})
    rows = [json.loads(out) for out in _wire(["classify", "-"], line + "\n").splitlines()]
    assert len(rows) == 1
    return rows[0]


def _codes(labels: object) -> list[str]:
    assert isinstance(labels, list)
    return [str(label["code"]) for label in labels]


def test_wire_classify_seed_story_names_russia_ukraine_and_the_united_states(
    seed_output: dict[str, list[dict[str, object]]],
) -> None:
    assert seed_output["id"] == "seed"
    assert {"RU", "UA", "US"} <= set(_codes(seed_output["countries"]))


def test_wire_classify_seed_story_is_in_eastern_europe(
    seed_output: dict[str, list[dict[str, object]]],
) -> None:
    regions = {label["code"]: label["name"] for label in seed_output["regions"]}
    assert regions.get("m49:151") == "Eastern Europe"


def test_wire_classify_seed_story_names_nato(
    seed_output: dict[str, list[dict[str, object]]],
) -> None:
    assert "org:nato" in _codes(seed_output["organizations"])


def test_wire_classify_seed_story_topics_are_conflict_and_politics_with_labels(
    seed_output: dict[str, list[dict[str, object]]],
) -> None:
    labels = {topic["code"]: topic["label"] for topic in seed_output["topics"]}
    assert labels["medtop:16000000"] == "conflict, war and peace"
    assert labels["medtop:11000000"] == "politics"
    assert all(0 < float(str(topic["score"])) <= 1 for topic in seed_output["topics"])
    assert str(seed_output["model"]).startswith("lexicon-")


def _training_lines() -> list[str]:
    rows = [{"text": t, "labels": [{"code": "desk:farm", "name": "Farming desk"}]} for t in FARM]
    rows += [{"title": "Space", "text": t, "labels": ["desk:space"]} for t in SPACE]
    return [json.dumps(row) for row in rows]


def test_trained_model_labels_new_texts_with_the_operators_taxonomy(tmp_path: Path) -> None:
    examples: list[Example] = []
    names: dict[str, str] = {}
    for line in _training_lines():
        example, labels = parse_example(json.loads(line))
        examples.append(example)
        names.update(labels)
    path = tmp_path / "model.json"
    path.write_text(json.dumps(train(examples, names, source="test")), encoding="utf-8")
    model = load_model(ModelChoice(topic_model=path))
    farm = classify(
        "Harvest", "Farmers expect a poor wheat harvest and fear for cattle.", None, model
    )
    space = classify(None, "The rocket put two satellites in orbit after the launch.", None, model)
    assert [t.code for t in farm.topics][:1] == ["desk:farm"]
    assert farm.topics[0].name == "Farming desk"
    assert [t.code for t in space.topics][:1] == ["desk:space"]
    assert model.version.startswith("lexicon-")
    assert "+trained-" in model.version


def test_training_refuses_a_single_label() -> None:
    examples = [Example(text=t, labels=("desk:farm",)) for t in FARM]
    with pytest.raises(ValueError, match="two different labels"):
        train(examples, {"desk:farm": "Farming desk"}, source="test")


def test_wire_classify_train_writes_a_model_that_wire_classify_uses(tmp_path: Path) -> None:
    data, out = tmp_path / "train.jsonl", tmp_path / "desk-model.json"
    data.write_text("\n".join(_training_lines()) + "\n", encoding="utf-8")
    printed = _wire(["classify", "train", str(data), "--out", str(out)])
    assert f"WIRE_TOPIC_MODEL={out}" in printed
    line = json.dumps({"id": 7, "text": "Astronauts boarded the capsule before the launch."})
    result = json.loads(_wire(["classify", "-"], line + "\n", {"WIRE_TOPIC_MODEL": str(out)}))
    assert result["id"] == 7
    assert [t["code"] for t in result["topics"]][:1] == ["desk:space"]
    # A label given as a bare code is named by its code.
    assert result["topics"][0]["label"] == "desk:space"
    assert "+trained-" in result["model"]


def test_wire_classify_train_reports_the_bad_line(tmp_path: Path) -> None:
    data = tmp_path / "train.jsonl"
    data.write_text(_training_lines()[0] + '\n{"text": "no labels"}\n', encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "workers.cli", "classify", "train", str(data)],
        capture_output=True, text=True, cwd=ROOT, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 1
    assert f"{data}:2:" in done.stderr
