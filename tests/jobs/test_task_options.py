"""Every registered task follows the retry architecture; routes really match task names."""

import inspect
from pathlib import Path

import pytest
from celery import Task

from pixcrawler.celery_app import QUEUES, app, create_app
from pixcrawler.config import Settings

SRC = Path(__file__).resolve().parents[2] / "src"


def _tasks() -> dict[str, Task]:
    app.loader.import_default_modules()
    return {name: task for name, task in app.tasks.items() if name.startswith("pixcrawler.")}


def test_at_least_twelve_tasks_in_the_two_modules() -> None:
    modules = {name.rsplit(".", 1)[0] for name in _tasks()}
    assert modules == {"pixcrawler.builder.tasks", "pixcrawler.validator.tasks"}
    assert len(_tasks()) >= 12


@pytest.mark.parametrize("name", sorted(_tasks()))
def test_task_is_bound_late_acked_and_never_autoretries(name: str) -> None:
    task = _tasks()[name]
    assert task.acks_late is True
    assert inspect.ismethod(task.run) and task.run.__self__ is task  # bind=True
    assert not getattr(task, "autoretry_for", ())
    assert task.max_retries == 3
    assert task.default_retry_delay == 60


@pytest.mark.parametrize("name", sorted(_tasks()))
def test_task_routes_to_a_declared_queue(name: str) -> None:
    route = app.amqp.router.route({}, name)
    queue = route["queue"].name
    assert queue in QUEUES
    expected = {
        "plan_job": "maintenance", "finalize_job": "maintenance", "generate_keywords":
        "maintenance", "generate_labels": "maintenance", "discover_chunk": "crawl",
        "download_chunk": "crawl", "package_dataset": "packaging",
        "watch_jobs": "maintenance",
    }  # fmt: skip
    short = name.rsplit(".", 1)[1]
    assert queue == expected.get(short, "validation")


def test_tasks_sent_by_name_exist() -> None:
    from pixcrawler.celery_app._sending import PLAN_TASK
    from pixcrawler.celery_app._watchdog import WATCH_TASK

    assert {PLAN_TASK, WATCH_TASK} <= set(_tasks())


def test_no_autoretry_anywhere_in_the_source() -> None:
    offenders = [p for p in SRC.rglob("*.py") if "autoretry_for=" in p.read_text()]
    assert offenders == []


def test_late_ack_settings() -> None:
    assert app.conf.task_acks_late is True
    assert app.conf.worker_prefetch_multiplier == 1
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.task_time_limit == Settings().task_time_limit  # Settings checks its order


def test_the_suite_never_touches_the_users_data_dir() -> None:
    home = str(Path.home() / ".pixcrawler")
    assert home not in str(app.conf.broker_url)
    assert home not in str(app.conf.result_backend)


def test_a_fresh_data_dir_is_created_for_the_default_result_store(tmp_path: Path) -> None:
    # With a Redis broker nothing else creates the folder; SQLite cannot create it either.
    fresh = tmp_path / "first-run"
    create_app(Settings(data_dir=fresh, broker_url="redis://127.0.0.1:6379/0"))
    assert fresh.is_dir()
