"""What `make eval` and `make bench` share: choosing sections, running them, writing the JSON."""

import argparse
import importlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def chosen(description: str | None, sections: tuple[str, ...]) -> list[str]:
    """The sections named on the command line (all when none), unknown names refused."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("sections", nargs="*", help=f"any of {', '.join(sections)}")
    args = parser.parse_args()
    unknown = set(args.sections) - set(sections)
    if unknown:
        parser.error(f"unknown sections: {', '.join(sorted(unknown))}")
    return list(args.sections or sections)


def run_all(
    prefix: str, names: list[str], call: Callable[[Any, dict[str, object]], None],
    results: dict[str, object], out_name: str,
) -> None:  # fmt: skip
    """Import `<prefix>_<name>` for each section, let `call` run it, write var/<out_name>."""
    for name in names:
        try:
            module = importlib.import_module(f"{prefix}_{name}")
        except ModuleNotFoundError as exc:
            print(f"== {name}: not written yet ({exc.name})")
            continue
        print(f"== {name}")
        section: dict[str, object] = {}
        call(module, section)
        results[name] = section
    out = ROOT / "var" / out_name
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(f"results written to {out}")
