"""Every PixCrawler default in one place: ``Settings`` read from ``PIXCRAWLER_*`` variables."""

from functools import lru_cache
from pathlib import Path
from typing import Literal, Self

from pydantic import Field, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

CONTACT_URL = "https://github.com/pixcrawler/pixcrawler"


class Settings(BaseSettings):
    """Runtime settings; each field maps to ``PIXCRAWLER_<FIELD>`` in the environment."""

    model_config = SettingsConfigDict(env_prefix="PIXCRAWLER_", extra="ignore")

    environment: Literal["development", "production", "test"] = "production"
    data_dir: Path = Field(default=Path.home() / ".pixcrawler")
    log_level: str = "INFO"
    log_format: Literal["console", "json"] = "console"

    # Distributed jobs (Celery, job database, storage); empty means the embedded default.
    #: SQLAlchemy URL; default ``sqlite:///<data_dir>/pixcrawler.sqlite``.
    database_url: str = ""
    #: Celery broker; default kombu's ``filesystem://`` broker under the data directory.
    broker_url: str = ""
    #: Celery result backend; default ``db+sqlite:///<data_dir>/celery-results.sqlite``.
    result_backend: str = ""
    #: Where datasets are stored: ``file://…`` (default ``<data_dir>/storage``), ``az://…``, ``s3://…``.
    storage_url: str = ""
    #: Seconds before a retried task runs again: 60, the retry policy's; only the test suite
    #: (``PIXCRAWLER_ENVIRONMENT=test``) may change it.
    task_retry_countdown: int = Field(default=60, ge=0)
    #: Seconds between a worker's watchdog sweeps for stalled jobs (lost messages); 0: none.
    watchdog_interval: float = Field(default=30.0, ge=0)
    #: Seconds with no chunk claimed or settled after which the watchdog looks at an open job.
    job_stall_seconds: float = Field(default=120.0, gt=0)
    #: Candidates per URL-list chunk: small enough to redo cheaply after a worker dies.
    chunk_size: int = Field(default=500, ge=1)
    #: Seconds a task may run before Celery kills it (its soft limit is a minute earlier).
    task_time_limit: int = Field(default=25 * 60, ge=120)
    #: Seconds after which a running chunk nobody touched is presumed orphaned by a dead worker
    #: and may be taken over; longer than any task may run.
    stale_after: int = Field(default=30 * 60, gt=0)
    #: Seconds before Redis re-delivers an unacknowledged task; longer than the stale-chunk
    #: takeover, or a slow task would run twice at once.
    visibility_timeout: int = Field(default=50 * 60, gt=0)
    azure_connection_string: str = ""
    azure_account_url: str = ""
    s3_endpoint_url: str = ""
    s3_region: str = "us-east-1"

    # The service (`pixcrawler serve`): sign-in, limits, middleware; see docs/API.md.
    #: Supabase project URL: JWKS at ``{url}/auth/v1/.well-known/jwks.json``, issuer
    #: ``{url}/auth/v1``.
    supabase_url: str = ""
    #: The project's JWT secret, for HS256 access tokens.
    supabase_jwt_secret: str = ""
    supabase_audience: str = "authenticated"
    #: Browser origins allowed by CORS (JSON list); empty: none.
    cors_origins: tuple[str, ...] = ()
    #: Largest request body outside uploads (413 above it).
    api_max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    #: Largest uploaded URL list.
    upload_max_bytes: int = Field(default=100 * 1024 * 1024, ge=1024)
    #: Requests per minute one API key or user may make (429 with Retry-After above it).
    rate_limit_per_minute: int = Field(default=600, ge=1)
    #: Redis URL for rate-limit counters shared by several API processes; empty: in memory.
    rate_limit_redis_url: str = ""
    #: Per-user limits of the ``user`` role (the ``admin`` role has none).
    limit_concurrent_jobs: int = Field(default=4, ge=1)
    limit_images_per_job: int = Field(default=10_000, ge=1)
    limit_jobs_per_day: int = Field(default=100, ge=1)
    limit_storage_bytes: int = Field(default=10 * 1024**3, ge=0)

    # Politeness and safety of the HTTP client.
    user_agent: str = f"PixCrawler/0.1 (+{CONTACT_URL}; dataset builder)"
    allow_private_network: bool = False
    max_concurrency: int = Field(default=64, ge=1, le=1024)
    #: Fetch processes of an in-process build (download + decode); 0 means one per core.
    processes: int = Field(default=0, ge=0, le=64)
    per_host_concurrency: int = Field(default=16, ge=1, le=256)
    connect_timeout: float = Field(default=10.0, gt=0)
    read_timeout: float = Field(default=20.0, gt=0)
    total_timeout: float = Field(default=60.0, gt=0)
    max_bytes: int = Field(default=25 * 1024 * 1024, ge=1024)
    max_redirects: int = Field(default=5, ge=0, le=30)
    #: Multiplies every retry wait: 1, the retry policy's; only the test suite
    #: (``PIXCRAWLER_ENVIRONMENT=test``) may change it (0: backoff computed, never slept).
    retry_wait_scale: float = Field(default=1.0, ge=0)

    # Validation.
    min_width: int = Field(default=64, ge=1)
    min_height: int = Field(default=64, ge=1)
    max_width: int = Field(default=12000, ge=1)
    max_height: int = Field(default=12000, ge=1)
    min_file_bytes: int = Field(default=1024, ge=0)
    allowed_formats: tuple[str, ...] = ("JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF")
    animated_policy: Literal["first_frame", "reject"] = "first_frame"

    # Validation level and quality gates (medium and slow levels); see docs/CONFIGURATION.md.
    validation_level: Literal["fast", "medium", "slow"] = "fast"
    min_sharpness: float = Field(default=30.0, ge=0)
    min_brightness: float = Field(default=20.0, ge=0, le=255)
    max_brightness: float = Field(default=240.0, ge=0, le=255)
    min_entropy: float = Field(default=1.5, ge=0, le=8)
    grayscale_channel_diff: float = Field(default=2.0, ge=0)
    reject_grayscale: bool = False
    max_aspect_ratio: float = Field(default=3.0, ge=1)

    # Deduplication: Hamming distance on a 64-bit pHash at or below which two images are one.
    phash_threshold: int = Field(default=6, ge=0, le=32)

    # Discovery: each engine's base URL (tests point them at a local fixture server).
    bing_base_url: str = "https://www.bing.com"
    duckduckgo_base_url: str = "https://duckduckgo.com"
    google_base_url: str = "https://www.google.com"
    baidu_base_url: str = "https://image.baidu.com"
    openverse_base_url: str = "https://api.openverse.org"
    wikimedia_base_url: str = "https://commons.wikimedia.org"
    #: Pages fetched per query and engine before moving to the next variation.
    max_pages_per_query: int = Field(default=5, ge=1, le=100)

    @field_validator("task_retry_countdown", "retry_wait_scale")
    @classmethod
    def _policy_timings_outside_tests(cls, value: float, info: ValidationInfo) -> float:
        """The retry timings are the user's requirement: a test-suite knob must not move them."""
        default = cls.model_fields[str(info.field_name)].default
        if value != default and info.data.get("environment") != "test":
            raise ValueError(
                f"must stay {default} (it changes only under PIXCRAWLER_ENVIRONMENT=test)"
            )
        return value

    @model_validator(mode="after")
    def _timing_rule(self) -> Self:
        # A task outliving the takeover would run beside its successor; one outliving the
        # visibility timeout would be delivered again while it still runs.
        if not self.task_time_limit < self.stale_after < self.visibility_timeout:
            raise ValueError(
                "PIXCRAWLER_TASK_TIME_LIMIT < PIXCRAWLER_STALE_AFTER < "
                f"PIXCRAWLER_VISIBILITY_TIMEOUT must hold (got {self.task_time_limit}, "
                f"{self.stale_after}, {self.visibility_timeout} seconds)"
            )
        return self

    def resolved_database_url(self) -> str:
        """``database_url``, or the SQLite file in the data directory."""
        return self.database_url or f"sqlite:///{self.data_dir / 'pixcrawler.sqlite'}"

    def resolved_broker_url(self) -> str:
        """``broker_url``, or kombu's filesystem broker (no server to install)."""
        return self.broker_url or "filesystem://localhost/"

    def resolved_result_backend(self) -> str:
        """``result_backend``, or an SQLite result store in the data directory."""
        return self.result_backend or f"db+sqlite:///{self.data_dir / 'celery-results.sqlite'}"

    def resolved_storage_url(self) -> str:
        """``storage_url``, or a folder in the data directory."""
        return self.storage_url or (self.data_dir / "storage").as_uri()

    def engine_base_url(self, engine: str) -> str:
        """The base URL setting of ``engine`` (``PIXCRAWLER_<ENGINE>_BASE_URL``), no trailing /."""
        value = getattr(self, f"{engine}_base_url", None)
        if not isinstance(value, str):
            raise KeyError(f"no base URL setting for engine {engine!r}")
        return value.rstrip("/")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
