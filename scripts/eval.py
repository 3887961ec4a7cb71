"""`make eval`: quality of the clean, dedup and classify stages against the shared corpus.

Each section lives in its own module (eval_<section>.py) exposing
`run(corpus: Path, out: dict) -> None`, which prints its table and puts its figures in `out`.
Sections whose data is absent print why and are skipped; results go to var/eval.json too.
"""

import argparse
import importlib
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SECTIONS = ("clean", "dedup", "classify")


def corpus_dir() -> Path:
    """WIRE_CORPUS_DIR, else the shared corpus beside the checkout."""
    return Path(os.environ.get("WIRE_CORPUS_DIR", ROOT.parent / "shared" / "corpus"))


def main() -> int:
    """Run the chosen sections (all by default)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("sections", nargs="*", help=f"any of {', '.join(SECTIONS)}")
    args = parser.parse_args()
    unknown = set(args.sections) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections: {', '.join(sorted(unknown))}")
    corpus = corpus_dir()
    if not corpus.is_dir():
        print(f"corpus not found at {corpus} (set WIRE_CORPUS_DIR): nothing to evaluate")
        return 0
    results: dict[str, object] = {"corpus": str(corpus), "date": time.strftime("%Y-%m-%d")}
    for name in args.sections or SECTIONS:
        try:
            module = importlib.import_module(f"eval_{name}")
        except ModuleNotFoundError as exc:
            print(f"== {name}: no evaluation yet ({exc.name})")
            continue
        print(f"== {name}")
        section: dict[str, object] = {}
        module.run(corpus, section)
        results[name] = section
    out = ROOT / "var" / "eval.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(f"results written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
