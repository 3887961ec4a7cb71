"""`make bench` section pipeline: the whole pipeline measured beside plain trafilatura.

On the same real article pages (scripts/bench_pages.py: the shared corpus, else the fixtures),
served as unique copies on 127.0.0.1, in one run:
  1. plain trafilatura (`bare_extraction(..., with_metadata=True)`) in one process: pages/s,
     trafilatura as released (the clean stage's speed-ups, pipeline/speedups.py, taken out);
  2. feeds to database with ONE CPU worker process (and the I/O worker): articles/s, ratio to 1;
  3. the same with TWO CPU worker processes: the scaling factor 3/2;
  4. each stage's CPU per item (the counters' `<stage>:cpu_us`) and the CPU the worker spent
     outside the stages (Celery, broker, logging);
  5. peak and steady RSS of each CPU worker process (psutil, sampled every second);
  6. store-path rows/s on SQLite and PostgreSQL (scripts/bench_store.py).
Workers are started and answer a ping before the polls are sent, so start-up is not timed. Redis
is a private redis-server on a unix socket; the database a temp SQLite file.

WIRE_BENCH_ARTICLES sets the size (default 10,000; e.g. 300 for a quick check).
"""

import contextlib
import os
import sys
import time
from pathlib import Path
from typing import Any

import trafilatura

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the sibling helpers below

import bench_pages
import bench_store
from bench_run import STAGES, pipeline_run, private_redis

from pipeline.clean import extract
from pipeline.errors import Drop
from pipeline.policy import CleanLimits
from pipeline.records import Article
from pipeline.speedups import stock_trafilatura

DEFAULT_ARTICLES = 10_000
PER_FEED = 100  # entries per feed
STAGED_MAX = 2_000  # the per-stage comparison run is capped: it only shows the design choice
DB_ROWS_MAX = 5_000
MIN_SECONDS = 5.0
LIMITS = CleanLimits(min_words=30, max_html_bytes=5_000_000)


def articles_wanted() -> int:
    """The benchmark's size."""
    return int(os.environ.get("WIRE_BENCH_ARTICLES", DEFAULT_ARTICLES))


def usable(
    paths: list[Path],
) -> tuple[list[bench_pages.Template], list[Article]]:
    """The templates whose copies the clean stage keeps (others would only measure drops)."""
    kept, articles = [], []
    for path in paths:
        tpl = bench_pages.template(path.name, bench_pages.read_page(path))
        if tpl is None:
            continue
        try:
            articles.append(
                extract(tpl.render("http://127.0.0.1/a/0", 0), "http://127.0.0.1/a/0", LIMITS)
            )
        except Drop:
            continue
        kept.append(tpl)
    return kept, articles


def extraction_rates(templates: list[bench_pages.Template]) -> dict[str, tuple[float, float]]:
    """Pages/s and CPU ms/page of plain trafilatura and of the clean stage, in this process.

    The two alternate page by page, over whole passes (at least MIN_SECONDS), so a change in the
    machine's load during the measurement weighs on both alike.
    """
    pages = [
        (f"http://127.0.0.1/a/{i}", t.render(f"http://127.0.0.1/a/{i}", i))
        for i, t in enumerate(templates)
    ]
    wall = {"plain": 0.0, "ours": 0.0}
    cpu = {"plain": 0.0, "ours": 0.0}
    done = 0
    while sum(wall.values()) < 2 * MIN_SECONDS or done == 0:
        for url, page in pages:
            for name in ("plain", "ours"):
                # The baseline is trafilatura as released, without the clean stage's speed-ups
                # (pipeline/speedups.py), which trafilatura itself would gain from too.
                with stock_trafilatura() if name == "plain" else contextlib.nullcontext():
                    started, cpu_started = time.perf_counter(), time.thread_time()
                    if name == "plain":
                        trafilatura.bare_extraction(page, url=url, with_metadata=True)
                    else:
                        with contextlib.suppress(Drop):  # every page here was kept once
                            extract(page, url, LIMITS)
                    wall[name] += time.perf_counter() - started
                    cpu[name] += time.thread_time() - cpu_started
        done += len(pages)
    return {name: (done / wall[name], 1000 * cpu[name] / done) for name in wall}


def run(out: dict[str, Any]) -> None:
    """Measure and print the pipeline section."""
    wanted = articles_wanted()
    templates, articles = usable(bench_pages.page_files())
    print(f"{len(templates)} corpus pages usable; {wanted} unique copies per pipeline run")
    out["load_average_at_start"] = [round(x, 2) for x in os.getloadavg()]
    rates = extraction_rates(templates)
    (plain, plain_cpu), (ours, ours_cpu) = rates["plain"], rates["ours"]
    out["pages"] = {"corpus_pages": len(templates), "articles_per_run": wanted}
    out["extraction"] = {
        "plain_trafilatura_pages_per_second": round(plain, 1),
        "plain_trafilatura_cpu_ms_per_page": round(plain_cpu, 2),
        "clean_stage_pages_per_second": round(ours, 1),
        "clean_stage_cpu_ms_per_page": round(ours_cpu, 2),
    }
    runs: dict[str, dict[str, Any]] = {}
    with private_redis() as redis_url:
        for name, cpu, fused, size in (
            ("fused_1", 1, True, wanted),
            ("fused_2", 2, True, wanted),
            ("staged_1", 1, False, min(wanted, STAGED_MAX)),
        ):
            corpus = bench_pages.Corpus(templates, size, PER_FEED)
            with bench_pages.serve(corpus):
                runs[name] = pipeline_run(corpus, redis_url, cpu=cpu, fused=fused)
            print(f"  {name}: {runs[name]['articles_per_second']} articles/s")
        rows = min(wanted, DB_ROWS_MAX)
        out["database"] = bench_store.measure(articles, rows, (1, 100), redis_url)
    out["runs"] = runs
    one, two = runs["fused_1"]["articles_per_second"], runs["fused_2"]["articles_per_second"]
    out["ratio_pipeline_1_to_plain"] = round(one / plain, 3)
    out["scaling_2_to_1"] = round(two / one, 3)
    out["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    print("\n".join(table(out)))


def table(out: dict[str, Any]) -> list[str]:
    """The section's figures as printed lines."""
    ext, runs = out["extraction"], out["runs"]
    lines = [
        f"load average at start {out['load_average_at_start']}, "
        f"at end {out['load_average_at_end']}",
        f"{'(1) plain trafilatura, 1 process':<38}"
        f"{ext['plain_trafilatura_pages_per_second']:>8} pages/s  "
        f"({ext['plain_trafilatura_cpu_ms_per_page']} CPU ms/page)",
        f"{'    clean stage alone, 1 process':<38}"
        f"{ext['clean_stage_pages_per_second']:>8} pages/s  "
        f"({ext['clean_stage_cpu_ms_per_page']} CPU ms/page)",
    ]
    labels = {
        "fused_1": "(2) pipeline, 1 CPU process, fused",
        "fused_2": "(3) pipeline, 2 CPU processes, fused",
        "staged_1": "    pipeline, 1 CPU process, per-stage",
    }
    for name, label in labels.items():
        r = runs[name]
        state = "" if r["finished"] and r["rows"] == r["stored"] else "  (INCOMPLETE)"
        lines.append(
            f"{label:<38}{r['articles_per_second']:>8} articles/s  "
            f"({r['stored']} stored in {r['seconds']}s){state}"
        )
    ratio, scaling = out["ratio_pipeline_1_to_plain"], out["scaling_2_to_1"]
    lines.append(f"    ratio (2)/(1) {ratio}, scaling (3)/(2) {scaling}")
    head = "".join(f"{s:>9}" for s in STAGES)
    lines.append(f"(4) CPU ms per item   {head}  CPU worker/article (its prefork parent)")
    for name in labels:
        r = runs[name]
        cells = "".join(f"{r['stage_cpu_ms'][s]:>9.2f}" for s in STAGES)
        worker = f"{r['cpu_worker_ms_per_article']:>9.2f} ({r['cpu_worker_parent_ms_per_article']})"
        lines.append(f"    {name:<17}{cells}  {worker}")
    lines.append("    CPU ms per article in the other processes (they share the two cores):")
    for name in labels:
        other = runs[name]["other_cpu_ms_per_article"]
        lines.append(f"    {name:<17}" + ", ".join(f"{k} {v:.2f}" for k, v in other.items()))
    for name in labels:
        mem = runs[name]["memory"]
        lines.append(
            f"(5) RSS {name:<10} peak {mem['peak_rss_mb']:>7} MB, "
            f"steady {mem['steady_rss_mb']:>7} MB (worst of {mem['processes']} processes); "
            f"Redis peak {mem['redis_peak_mb']} MB"
        )
    db = out["database"]
    for name in ("sqlite", "postgresql"):
        cells = ", ".join(f"{k} {v['rows_per_second']}" for k, v in db[name].items())
        lines.append(f"(6) {name:<11} rows/s: {cells}  ({db['rows']} rows)")
    return lines


if __name__ == "__main__":
    result: dict[str, Any] = {}
    run(result)
