"""`make bench`: speed and memory figures on this machine (never timed tests).

Each section lives in its own module (bench_<section>.py) exposing
`run(out: dict) -> None`, which prints its table and puts its figures in `out`.
Results go to var/bench.json, with the date and the machine.
"""

import os
import platform
import sys
import time

from sections import chosen, run_all

SECTIONS = ("pipeline", "dedup", "classify", "poll", "politeness")


def main() -> int:
    """Run the chosen sections (all by default)."""
    names = chosen(__doc__, SECTIONS)
    results: dict[str, object] = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
    }
    run_all("bench", names, lambda module, out: module.run(out), results, "bench.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
