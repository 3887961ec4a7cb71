"""UN M49 regions and desk groupings, derived from the countries an article is about."""

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pipeline.records import Label


@dataclass(frozen=True)
class RegionTable:
    """Region labels, each country's regions, and region names as written in text."""

    names: dict[str, str]
    country_regions: dict[str, tuple[str, ...]]
    area_chain: dict[str, tuple[str, ...]]
    aliases: dict[str, str]


def _chain(m49: Mapping[str, Mapping[str, str | None]], area: str | None) -> tuple[str, ...]:
    """An M49 area and its ancestors, as label codes ("m49:151", "m49:150")."""
    codes: list[str] = []
    while area is not None:
        codes.append(f"m49:{area}")
        area = m49[area]["parent"]
    return tuple(codes)


def load_regions(path: Path, country_areas: Mapping[str, str | None]) -> RegionTable:
    """Load regions.json and attach every country to its M49 chain and desk groups."""
    data = json.loads(path.read_text(encoding="utf-8"))
    m49 = data["m49"]
    names = {f"m49:{code}": row["name"] for code, row in m49.items()}
    names.update({code: row["name"] for code, row in data["groups"].items()})
    members: dict[str, list[str]] = {}
    for code, row in data["groups"].items():
        for iso in row["members"]:
            members.setdefault(iso, []).append(code)
    country_regions = {
        iso: _chain(m49, area) + tuple(members.get(iso, ())) for iso, area in country_areas.items()
    }
    area_chain = {f"m49:{code}": _chain(m49, code) for code in m49}
    aliases = {surface: f"m49:{code}" for surface, code in data["aliases"].items()}
    return RegionTable(names, country_regions, area_chain, aliases)


def score_regions(
    table: RegionTable, countries: list[Label], named: Mapping[str, float]
) -> list[Label]:
    """Regions of the article: each scored by its best country or by its own mentions."""
    scores: dict[str, float] = {}
    for country in countries:
        for code in table.country_regions.get(country.code, ()):
            scores[code] = max(scores.get(code, 0.0), country.score)
    for area, score in named.items():
        for code in table.area_chain.get(area, ()):
            scores[code] = max(scores.get(code, 0.0), score)
    ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
    return [Label(code=code, name=table.names[code], score=score) for code, score in ranked]
