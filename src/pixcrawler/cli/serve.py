"""`pixcrawler serve`: the REST API under uvicorn, with a worker when the broker is embedded.

With no Supabase configured, the first start issues a local admin API key and prints it once;
only its hash is kept.
"""

import os
import signal
import subprocess
import sys
from typing import Annotated

import typer

from pixcrawler.cli._common import app, console, fail, out
from pixcrawler.errors import PixCrawlerError


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to bind.", min=1, max=65535)] = 8000,
    worker: Annotated[
        bool, typer.Option(help="Run a worker too (default with the embedded broker).")
    ] = True,
) -> None:
    """Serve the REST API (docs at /docs); one command gives a working service."""
    # A missing extra (fastapi, uvicorn, celery…) is named in one line by ``cli.main``.
    import uvicorn

    from pixcrawler.backend.api import create_app
    from pixcrawler.backend.db import session_scope
    from pixcrawler.backend.distributed import make_context
    from pixcrawler.backend.services import ensure_local_admin
    from pixcrawler.config import get_settings

    settings = get_settings()
    try:
        context = make_context(settings)
        if not (settings.supabase_url or settings.supabase_jwt_secret):
            with session_scope(context.sessions) as session:
                raw = ensure_local_admin(session, settings.data_dir)
            if raw is not None:
                out.print(f"admin API key: {raw}", highlight=False, soft_wrap=True)
    except PixCrawlerError as exc:
        fail(f"job database unavailable: {exc.reason}", 1)
    embedded = settings.resolved_broker_url().startswith("filesystem://")
    child = _start_worker() if worker and embedded else None
    console.print(f"serving on http://{host}:{port} (docs at /docs)", highlight=False)
    try:
        uvicorn.run(create_app(settings, context=context), host=host, port=port,
                    log_config=None, access_log=False)  # fmt: skip
    finally:
        if child is not None:
            _stop(child)


def _start_worker() -> subprocess.Popen[bytes]:
    # Its own process group, so stopping it also stops its pool children.
    return subprocess.Popen(
        [sys.executable, "-m", "pixcrawler", "worker", "--concurrency", "2"],
        start_new_session=True,
    )


def _stop(child: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(child.pid, signal.SIGTERM)
        child.wait(timeout=20)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)
        child.wait()
