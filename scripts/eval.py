"""`make eval`: quality of the clean, dedup and classify stages against the shared corpus.

Each section lives in its own module (eval_<section>.py) exposing
`run(corpus: Path, out: dict) -> None`, which prints its table and puts its figures in `out`.
Sections whose data is absent print why and are skipped; results go to var/eval.json too.
"""

import os
import sys
import time
from pathlib import Path

from sections import ROOT, chosen, run_all

SECTIONS = ("clean", "dedup", "classify")


def corpus_dir() -> Path:
    """WIRE_CORPUS_DIR, else the shared corpus beside the checkout."""
    return Path(os.environ.get("WIRE_CORPUS_DIR", ROOT.parent / "shared" / "corpus"))


def main() -> int:
    """Run the chosen sections (all by default)."""
    names = chosen(__doc__, SECTIONS)
    corpus = corpus_dir()
    if not corpus.is_dir():
        print(f"corpus not found at {corpus} (set WIRE_CORPUS_DIR): nothing to evaluate")
        return 0
    results: dict[str, object] = {"corpus": str(corpus), "date": time.strftime("%Y-%m-%d")}
    run_all("eval", names, lambda module, out: module.run(corpus, out), results, "eval.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
