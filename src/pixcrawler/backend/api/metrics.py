"""``/metrics`` in Prometheus format: request latency by route, and from the job database jobs
by state, images by status, and HTTP attempts and retries by outcome reason."""

import re
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from starlette.routing import compile_path
from starlette.types import Scope

from pixcrawler.backend.db import Image, Job, session_scope
from pixcrawler.backend.distributed import JobContext
from pixcrawler.utility.logging_config import get_logger

logger = get_logger(__name__)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class JobDatabaseCollector(Collector):
    """Reads the job database at scrape time: no counter in this process can go stale."""

    def __init__(self, context: JobContext) -> None:
        self.context = context

    def collect(self) -> Iterator[GaugeMetricFamily]:
        jobs = GaugeMetricFamily("pixcrawler_jobs", "Jobs by state.", labels=["state"])
        images = GaugeMetricFamily("pixcrawler_images", "Images by status.", labels=["status"])
        attempts = GaugeMetricFamily(
            "pixcrawler_http_attempts", "HTTP attempts spent on images, by outcome reason.",
            labels=["reason"],
        )  # fmt: skip
        retries = GaugeMetricFamily(
            "pixcrawler_http_retries", "HTTP retries (attempts after the first), by reason.",
            labels=["reason"],
        )  # fmt: skip
        try:
            self._fill(jobs, images, attempts, retries)
        except Exception as exc:  # a scrape must answer even with the database down
            logger.bind(error_type=type(exc).__name__).warning("metrics: job database unread")
            return
        yield from (jobs, images, attempts, retries)

    def _fill(self, jobs: GaugeMetricFamily, images: GaugeMetricFamily,
              attempts: GaugeMetricFamily, retries: GaugeMetricFamily) -> None:  # fmt: skip
        with session_scope(self.context.sessions) as session:
            for state, count in session.execute(
                select(Job.status, func.count()).group_by(Job.status)
            ):
                jobs.add_metric([state], count)
            by_status = select(Image.status, func.count()).group_by(Image.status)
            for status, count in session.execute(by_status):
                images.add_metric([status], count)
            reason = func.coalesce(func.nullif(Image.reason, ""), Image.status)
            spent = select(reason, func.sum(Image.attempts), func.sum(Image.attempts - 1))
            for why, total, again in session.execute(
                spent.where(Image.attempts > 0).group_by(reason)
            ):
                attempts.add_metric([why], total or 0)
                retries.add_metric([why], again or 0)


class Metrics:
    """The app's registry: its own, so two apps in one process never share series."""

    def __init__(self, context: JobContext) -> None:
        self.registry = CollectorRegistry()
        self.latency = Histogram(
            "pixcrawler_http_request_seconds", "API request latency by route, method and status.",
            ["route", "method", "status"], registry=self.registry,
        )  # fmt: skip
        self.registry.register(JobDatabaseCollector(context))
        self._routes: list[tuple[re.Pattern[str], str]] = []

    def observe(self, scope: Scope, status: int, seconds: float) -> None:
        """Record one request under its route template (``/api/v1/jobs/{job_id}``)."""
        template = self._template(scope.get("path", ""))
        self.latency.labels(template, scope.get("method", ""), str(status)).observe(seconds)

    def use_routes(self, templates: list[str]) -> None:
        """The route templates requests are reported under (the app's OpenAPI paths)."""
        self._routes = [(compile_path(template)[0], template) for template in templates]

    def _template(self, path: str) -> str:
        # By template, never the raw path: ids in label values would grow series without end.
        for pattern, template in self._routes:
            if pattern.match(path):
                return template
        return "unmatched"

    def render(self) -> bytes:
        """The exposition text."""
        return generate_latest(self.registry)
