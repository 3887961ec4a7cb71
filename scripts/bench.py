"""`make bench`: speed and memory figures on this machine (never timed tests).

Each section lives in its own module (bench_<section>.py) exposing
`run(out: dict) -> None`, which prints its table and puts its figures in `out`.
Results go to var/bench.json, with the date and the machine.
"""

import argparse
import importlib
import json
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SECTIONS = ("pipeline", "dedup", "classify", "poll", "politeness")


def main() -> int:
    """Run the chosen sections (all by default)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("sections", nargs="*", help=f"any of {', '.join(SECTIONS)}")
    args = parser.parse_args()
    unknown = set(args.sections) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections: {', '.join(sorted(unknown))}")
    results: dict[str, object] = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
    }
    for name in args.sections or SECTIONS:
        try:
            module = importlib.import_module(f"bench_{name}")
        except ModuleNotFoundError as exc:
            print(f"== {name}: no benchmark yet ({exc.name})")
            continue
        print(f"== {name}")
        section: dict[str, object] = {}
        module.run(section)
        results[name] = section
    out = ROOT / "var" / "bench.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(f"results written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
