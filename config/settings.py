"""One typed settings object from WIRE_* environment variables; fails fast on bad values."""

from functools import lru_cache
from pathlib import Path

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from pipeline.classify import ModelChoice
from pipeline.policy import CleanLimits, DedupPolicy, FetchPolicy
from pipeline.schedule import SchedulePolicy

DEFAULT_FEEDS_FILE = Path(__file__).with_name("feeds.yaml")


class Settings(BaseSettings):
    """Every setting of wire-ingest; each stage gets only its own section."""

    model_config = SettingsConfigDict(env_prefix="WIRE_", env_file=".env", extra="ignore")

    redis_url: str | None = None
    database_url: str | None = None
    var_dir: Path = Path("var")
    feeds_file: Path = DEFAULT_FEEDS_FILE
    allow_private_networks: bool = False

    # How long an item's records stay after its terminal outcome (none while in flight): one
    # visibility timeout, so a redelivered message can still rerun its stage idempotently.
    item_ttl_seconds: int = Field(default=3_600, ge=60)
    connect_timeout: float = Field(default=5.0, gt=0)
    read_timeout: float = Field(default=15.0, gt=0)
    total_timeout: float = Field(default=30.0, gt=0)
    max_page_bytes: int = Field(default=5_000_000, ge=10_000)
    max_redirects: int = Field(default=5, ge=0, le=20)
    user_agent: str = "wire-ingest/0.1 (news-wire ingestion; +https://github.com/wire-ingest)"
    # Deprecated spelling of the per-host rate: when set, the rate is 1 / delay (0: no limit).
    host_delay_seconds: float | None = Field(default=None, ge=0)
    fetch_host_rate: float = Field(default=1.0, ge=0)  # requests/s per host, fleet-wide; 0: off
    fetch_host_rates: dict[str, float] = Field(default_factory=dict)  # per-host overrides
    fetch_host_concurrency: int = Field(default=2, ge=1)
    # A fetch waits for its host's turn in its worker slot up to this long, and is re-queued
    # with a countdown (at most fetch_defer_max_seconds, far below the visibility timeout) past it.
    fetch_max_wait_seconds: float = Field(default=1.0, ge=0)
    fetch_defer_max_seconds: int = Field(default=60, ge=1)
    robots_txt: bool = True  # honour robots.txt (RFC 9309) on page fetches, cached fleet-wide

    poll_interval_seconds: int = Field(default=900, ge=30)
    poll_min_interval_seconds: int = Field(default=300, ge=30)
    poll_max_interval_seconds: int = Field(default=86_400, ge=60)
    poll_failure_max_interval_seconds: int = Field(default=21_600, ge=60)
    poll_batch_size: int = Field(default=20, ge=1, le=500)  # feeds per poll task (dispatch)
    beat_tick_seconds: float = Field(default=30.0, gt=0)
    min_words: int = Field(default=30, ge=0)
    dedup_retention_days: int = Field(default=30, ge=1)
    dedup_shingle_words: int = Field(default=4, ge=1, le=20)
    dedup_similarity_min_words: int = Field(default=40, ge=1)
    dedup_min_jaccard: float = Field(default=0.5, gt=0, le=1)
    dedup_min_containment: float = Field(default=0.5, gt=0, le=1)
    dedup_jaccard_floor: float = Field(default=0.15, ge=0, le=1)
    dedup_index_buckets: int = Field(default=262_144, ge=16)

    retry_max: int = Field(default=5, ge=0, le=20)
    retry_backoff_max: int = Field(default=120, ge=1)
    # The store stage rides out a database outage: 15 capped backoffs average about 10 minutes.
    store_retry_max: int = Field(default=15, ge=0, le=50)
    visibility_timeout: int = Field(default=3_600, ge=60)
    # The reconciler re-sends an item that entered a stage this long ago with no outcome and no
    # message anywhere (the broker lost it); unset: the visibility timeout plus the backoff cap,
    # past which no live worker can still hold the item's message.
    reconcile_after: int | None = Field(default=None, ge=1)
    reconcile_interval: float = Field(default=300.0, gt=0)  # seconds between reconciler passes
    # Prefork children are replaced after this many tasks or past this resident size (KiB), so
    # a leak in a parser cannot grow a CPU worker without bound; 0 turns a limit off.
    worker_max_tasks_per_child: int = Field(default=1_000, ge=0)
    worker_max_memory_per_child_kb: int = Field(default=512_000, ge=0)
    # Flower shows each task's queue only from a "sent" event, which doubles the CPU of every
    # send (1.2 -> 2.3 ms here); names, arguments and states come from worker events anyway.
    task_sent_events: bool = False

    # A topic model file made by `wire classify train`; unset: the shipped IPTC lexicon.
    topic_model: Path | None = None

    # One task runs clean, dedup, classify and store for an item (see docs/decisions.md,
    # Performance); off: each stage is its own task on its own queue.
    fuse_cpu_stages: bool = True
    # The fused task parks its stored article in Redis and a flush writes up to this many in one
    # transaction, at the latest this many seconds after an article was parked (1: every article
    # in its own transaction, as the per-stage store task does).
    store_batch_size: int = Field(default=100, ge=1, le=1_000)
    store_batch_wait: float = Field(default=1.0, gt=0, le=60)
    # A threaded fetch worker sends the fused task up to this many fetched items in one message,
    # waiting at most this many seconds for a batch to fill (1: a message per item). A CPU worker
    # then pays the broker, the pool's hand-over and the task's own costs once per batch.
    fused_batch_size: int = Field(default=8, ge=1, le=100)
    fused_batch_wait: float = Field(default=0.05, gt=0, le=5)
    # Processes of the local CPU worker (`wire ingest --once`, `wire run`); unset: one per core.
    cpu_workers: int | None = Field(default=None, ge=1)

    log_level: str = "INFO"

    @field_validator("redis_url", "database_url", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        """Treat WIRE_X= (empty) as unset, so embedded defaults apply."""
        return None if value == "" else value

    @field_validator("topic_model")
    @classmethod
    def _topic_model_exists(cls, value: Path | None) -> Path | None:
        """Refuse a missing topic model file at start, not at the first article."""
        if value is not None and not value.is_file():
            raise ValueError(f"WIRE_TOPIC_MODEL {value} is not a file")
        return value

    @model_validator(mode="after")
    def _backoff_below_visibility(self) -> "Settings":
        """Refuse retry countdowns that outlive the broker's visibility timeout (redelivery)."""
        if self.retry_backoff_max >= self.visibility_timeout:
            raise ValueError("WIRE_RETRY_BACKOFF_MAX must be below WIRE_VISIBILITY_TIMEOUT")
        return self

    @model_validator(mode="after")
    def _polling_bounds(self) -> "Settings":
        """Refuse a schedule whose bounds cross, or a fetch deferral the broker would redeliver."""
        if self.poll_min_interval_seconds > self.poll_max_interval_seconds:
            raise ValueError(
                "WIRE_POLL_MIN_INTERVAL_SECONDS exceeds WIRE_POLL_MAX_INTERVAL_SECONDS"
            )
        if self.fetch_defer_max_seconds * 10 > self.visibility_timeout:
            raise ValueError("WIRE_FETCH_DEFER_MAX_SECONDS must stay under a tenth of the timeout")
        return self

    def host_rate(self, host: str) -> float:
        """Requests per second allowed to one host across the fleet (0: unlimited)."""
        if host in self.fetch_host_rates:
            return self.fetch_host_rates[host]
        if self.host_delay_seconds is not None:
            return 1.0 / self.host_delay_seconds if self.host_delay_seconds > 0 else 0.0
        return self.fetch_host_rate

    def schedule_policy(self) -> SchedulePolicy:
        """The poll scheduler's section."""
        return SchedulePolicy(
            min_interval=self.poll_min_interval_seconds,
            max_interval=self.poll_max_interval_seconds,
            failure_max_interval=self.poll_failure_max_interval_seconds,
        )

    @property
    def reconcile_after_seconds(self) -> int:
        """Age (seconds) past which an in-flight item without a message is sent again."""
        return self.reconcile_after or self.visibility_timeout + self.retry_backoff_max

    @property
    def database_url_resolved(self) -> str:
        """The database URL, or the embedded SQLite file under var_dir."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.var_dir / 'wire.db').resolve()}"

    @property
    def redis_socket(self) -> Path:
        """The embedded Redis server's socket under var_dir."""
        return (self.var_dir / "redis.sock").resolve()

    @property
    def embedded_redis(self) -> bool:
        """Whether the embedded Redis server is used (WIRE_REDIS_URL unset)."""
        return not self.redis_url

    @property
    def redis_url_resolved(self) -> str:
        """The Redis URL for redis-py clients (the item store, dedup, stats)."""
        url = self.redis_url or f"unix://{self.redis_socket}"
        return url.replace("redis+socket://", "unix://", 1)

    @property
    def broker_url(self) -> str:
        """The Redis URL in the form Celery's transport reads (unix sockets as redis+socket)."""
        url = self.redis_url or f"redis+socket://{self.redis_socket}"
        return url.replace("unix://", "redis+socket://", 1)

    def fetch_policy(self) -> FetchPolicy:
        """The fetch stage's section."""
        return FetchPolicy(
            connect_timeout=self.connect_timeout,
            read_timeout=self.read_timeout,
            total_timeout=self.total_timeout,
            max_bytes=self.max_page_bytes,
            max_redirects=self.max_redirects,
            user_agent=self.user_agent,
            allow_private_networks=self.allow_private_networks,
        )

    def clean_limits(self) -> CleanLimits:
        """The clean stage's section."""
        return CleanLimits(min_words=self.min_words, max_html_bytes=self.max_page_bytes)

    def model_choice(self) -> ModelChoice:
        """The classify stage's section: which topic model to load."""
        return ModelChoice(topic_model=self.topic_model)

    def dedup_policy(self) -> DedupPolicy:
        """The dedup stage's section."""
        return DedupPolicy(
            retention_seconds=self.dedup_retention_days * 86_400,
            shingle_words=self.dedup_shingle_words,
            similarity_min_words=self.dedup_similarity_min_words,
            min_jaccard=self.dedup_min_jaccard,
            min_containment=self.dedup_min_containment,
            jaccard_floor=self.dedup_jaccard_floor,
            index_buckets=self.dedup_index_buckets,
        )


class SettingsError(ValueError):
    """Bad WIRE_* values, described without the values themselves (they may hold secrets)."""


def describe(error: ValidationError) -> str:
    """Each failing setting and why, never its input (a URL may carry a password)."""
    lines = []
    for item in error.errors(include_input=False, include_url=False):
        name = "WIRE_" + "_".join(str(part) for part in item["loc"]).upper() if item["loc"] else ""
        lines.append(f"{name or 'settings'}: {item['msg']}")
    return "invalid settings:\n  " + "\n  ".join(lines)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read once; bad values raise SettingsError."""
    try:
        return Settings()
    except ValidationError as exc:
        raise SettingsError(describe(exc)) from None
