"""`pixcrawler remote submit | status | download`: a PixCrawler service, through the client.

The service and key come from ``--url``/``--api-key`` or ``PIXCRAWLER_REMOTE_URL`` /
``PIXCRAWLER_REMOTE_API_KEY``.
"""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pixcrawler.cli._common import app, fail, out, split_list

if TYPE_CHECKING:
    from pixcrawler.client import Client

remote_app = typer.Typer(help="Use a PixCrawler service (pixcrawler serve) from the shell.")
app.add_typer(remote_app, name="remote")

Url = Annotated[str, typer.Option("--url", envvar="PIXCRAWLER_REMOTE_URL", help="Service URL.")]
Key = Annotated[
    str, typer.Option("--api-key", envvar="PIXCRAWLER_REMOTE_API_KEY", help="API key (pxc_…).")
]


@contextmanager
def _client(url: str, key: str) -> "Iterator[Client]":
    from pixcrawler.client import ApiError, Client
    from pixcrawler.errors import PixCrawlerError

    try:
        with Client(url, key) as client:
            yield client
    except ApiError as exc:
        fail(str(exc), 1)
    except PixCrawlerError as exc:
        fail(f"service unreachable at {url}: {exc.reason}", 1)


@remote_app.command("submit")
def submit(
    keywords: Annotated[str, typer.Option(help="Comma-separated classes.")],
    engines: Annotated[str, typer.Option(help="Comma-separated engines.")] = "openverse",
    per_class: Annotated[int, typer.Option(help="Kept images per class.", min=1)] = 50,
    wait: Annotated[bool, typer.Option(help="Follow the job until it ends.")] = False,
    url: Url = "http://127.0.0.1:8000",
    api_key: Key = "",
) -> None:
    """Start a keyword job on the service; prints its id."""
    spec = {"kind": "keywords", "keywords": [k.strip() for k in keywords.split(",") if k.strip()],
            "engines": list(split_list(engines)), "per_class": per_class}  # fmt: skip
    with _client(url, api_key) as client:
        job = client.create_job(spec)
        out.print(job["id"], highlight=False)
        if wait:
            out.print(f"job {job['id']}: {client.wait(job['id'])}", highlight=False)


@remote_app.command("status")
def status(job_id: str, url: Url = "http://127.0.0.1:8000", api_key: Key = "") -> None:
    """One job's progress as JSON."""
    with _client(url, api_key) as client:
        out.print_json(json.dumps(client.progress(job_id)))


@remote_app.command("download")
def download(
    job_id: str,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to extract into.")],
    url: Url = "http://127.0.0.1:8000",
    api_key: Key = "",
) -> None:
    """Download a completed job's ZIP and extract it into ``--out``."""
    with _client(url, api_key) as client:
        where = client.download(job_id, out_dir)
    out.print(f"dataset: {where}", highlight=False)
