"""Per-stage counters in Redis: items in and exactly one outcome per item per stage."""

from dataclasses import dataclass

import redis

GLOBAL = "wire:stats"
REASONS = "wire:stats:reasons"
#: Sorted set of '<stage>|<run or ->|<item>' entered and without an outcome, scored by entry time
#: (Redis's clock): what the reconciler looks through for items whose message the broker lost.
INFLIGHT = "wire:inflight"
#: Sorted set of '<run or ->|<item>' whose stored article waits for a batch write, scored by the
#: time it is due (workers/store_batch.py).
STORE_BUFFER = "wire:store:parked"
OUTCOMES = ("out", "dropped", "failed", "error")
# A guard must outlive any redelivery (the visibility timeout) and retry schedule of its item,
# hours at most; a day is ample, and guards are most of Redis's keys (about 12 per article).
GUARD_TTL = 86_400
RUN_TTL = 7 * 86_400
#: Counter field '<stage>:cpu_us': CPU microseconds the stage spent on the items it finished.
CPU_FIELD = "cpu_us"

# Count once per (stage, item, run, event): a redelivered message must not count twice.
# `cpu`/`cpu_field`: the stage's CPU microseconds for this item and their field, added in the same
# call so timing costs no extra round trip (and a redelivery does not add its time twice).
# `member`/`entering`: the item's in-flight member, added on entry ('1') and removed on its outcome.
# TIME before writes is allowed: scripts are replicated by their effects (Redis 5 and later).
_COUNT_FN = """
local function count(guard, global, reasons, run, inflight,
                     ttl, field, reason, run_ttl, cpu, cpu_field, member, entering)
  if not redis.call('SET', guard, '1', 'NX', 'EX', ttl) then return 0 end
  if entering == '1' then
    redis.call('ZADD', inflight, redis.call('TIME')[1], member)
  else
    redis.call('ZREM', inflight, member)
  end
  redis.call('HINCRBY', global, field, 1)
  if reason ~= '' then redis.call('HINCRBY', reasons, reason, 1) end
  if run ~= '' then
    redis.call('HINCRBY', run, field, 1)
    if reason ~= '' then redis.call('HINCRBY', run, reason, 1) end
    redis.call('EXPIRE', run, run_ttl)
  end
  if cpu ~= '0' then
    redis.call('HINCRBY', global, cpu_field, cpu)
    if run ~= '' then redis.call('HINCRBY', run, cpu_field, cpu) end
  end
  return 1
end
"""
# KEYS: global, reasons, run ('' for none), in-flight set, then one guard per item.
# ARGV: guard TTL, field, reason field, run TTL, CPU us, CPU field, entering, then one member per
# item. One call counts a whole batch of one stage and run; returns 1 or 0 per item.
_COUNT_EACH = (
    _COUNT_FN
    + """
local counted = {}
for i = 5, #KEYS do
  counted[#counted + 1] = count(KEYS[i], KEYS[1], KEYS[2], KEYS[3], KEYS[4], ARGV[1], ARGV[2],
                                ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[i + 3], ARGV[7])
end
return counted
"""
)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def run_key(run_id: str) -> str:
    """The counters hash of one ingest run."""
    return f"wire:run:{run_id}:stats"


def inflight_member(stage: str, run_id: str | None, item: str) -> str:
    """The item's member of the in-flight set (the item last: it may hold any character)."""
    return f"{stage}|{run_id or '-'}|{item}"


def parse_member(member: bytes | str) -> tuple[str, str | None, str]:
    """Stage, run (None for none) and item of an in-flight member."""
    stage, run, item = _text(member).split("|", 2)
    return stage, (None if run == "-" else run), item


class Stats:
    """Counters of items in and out of each stage, fleet-wide and per run."""

    def __init__(self, client: redis.Redis) -> None:
        self._redis = client
        self._count = client.register_script(_COUNT_EACH)

    def _bump(
        self,
        stage: str,
        items: list[str],
        run_id: str | None,
        event: str,
        reason: str,
        cpu: float = 0.0,
    ) -> list[bool]:
        # One guard for every outcome: an item leaves a stage once, whichever way.
        kind = "in" if event == "in" else "outcome"
        guards = [f"wire:once:{stage}:{kind}:{run_id or '-'}:{item}" for item in items]
        keys = [GLOBAL, REASONS, run_key(run_id) if run_id else "", INFLIGHT, *guards]
        field = f"{stage}:{event}"
        reason_field = f"r:{stage}:{event}:{reason}" if reason else ""
        args: list[str | int] = [GUARD_TTL, field, reason_field, RUN_TTL, round(cpu * 1e6)]
        args += [f"{stage}:{CPU_FIELD}", int(kind == "in")]
        args += [inflight_member(stage, run_id, item) for item in items]
        counted = self._count(keys=keys, args=args)
        # In a pipeline the reply comes with execute(): the caller reads it there.
        return [bool(c) for c in counted] if isinstance(counted, list) else []

    def entered(self, stage: str, item: str, run_id: str | None) -> bool:
        """Count an item sent into a stage; False when it was counted already."""
        return any(self._bump(stage, [item], run_id, "in", ""))

    def outcome(
        self,
        stage: str,
        item: str,
        run_id: str | None,
        outcome: str,
        reason: str = "",
        cpu_seconds: float = 0.0,
    ) -> bool:
        """Count the item's one outcome in a stage (and the CPU it took); False if it had one."""
        return any(self.outcome_each(stage, [item], run_id, outcome, reason, cpu_seconds))

    def outcome_each(
        self,
        stage: str,
        items: list[str],
        run_id: str | None,
        outcome: str,
        reason: str = "",
        cpu_seconds: float = 0.0,
    ) -> list[bool]:
        """Count one outcome (and CPU) for each of many items of a run, in one call."""
        if outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {outcome}")
        return self._bump(stage, items, run_id, outcome, reason, cpu_seconds)

    def retried(self, stage: str) -> None:
        """Count one retry of a stage (every retry counts)."""
        self._redis.hincrby(GLOBAL, f"{stage}:retried", 1)

    def read(self, run_id: str | None = None) -> "Counts":
        """The counters, fleet-wide or of one run."""
        raw = self._redis.hgetall(run_key(run_id) if run_id else GLOBAL)
        return Counts({_text(k): int(v) for k, v in raw.items()})

    def reasons(self, run_id: str | None = None) -> dict[str, int]:
        """Counts by 'stage:outcome:reason', fleet-wide or of one run."""
        if run_id:
            counts = self.read(run_id).values
            return {k[2:]: v for k, v in counts.items() if k.startswith("r:")}
        return {_text(k)[2:]: int(v) for k, v in self._redis.hgetall(REASONS).items()}


@dataclass(frozen=True)
class Counts:
    """A snapshot of counters keyed 'stage:event'."""

    values: dict[str, int]

    def get(self, stage: str, event: str) -> int:
        """One counter, zero when absent."""
        return self.values.get(f"{stage}:{event}", 0)

    def cpu_seconds(self, stage: str) -> float:
        """CPU seconds the stage spent on the items it finished (its own thread's time)."""
        return self.get(stage, CPU_FIELD) / 1e6

    def in_flight(self) -> int:
        """Items sent into a stage that have no outcome there yet."""
        events = [(k.rsplit(":", 1)[-1], v) for k, v in self.values.items() if k[:2] != "r:"]
        entered = sum(v for event, v in events if event == "in")
        done = sum(v for event, v in events if event in OUTCOMES)
        return entered - done
