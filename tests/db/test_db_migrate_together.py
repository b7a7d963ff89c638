"""Processes that start together on a fresh database migrate it once, without an error."""

import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine, text

from pixcrawler.backend.db.migrate import HEAD_REVISION

MIGRATE = "import sys; from pixcrawler.backend.db.migrate import upgrade; upgrade(sys.argv[1])"


def test_migrators_starting_together_on_a_fresh_sqlite_file_all_succeed(tmp_path: Path) -> None:
    # A worker and `build --distributed` started at once on the embedded default do this.
    url = f"sqlite:///{tmp_path / 'jobs.sqlite'}"
    processes = [
        subprocess.Popen([sys.executable, "-c", MIGRATE, url], stderr=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    results = [(process.wait(timeout=120), process.stderr.read()) for process in processes]
    for process in processes:
        process.stderr.close()
    assert [code for code, _ in results] == [0, 0, 0, 0], [err[-400:] for _, err in results]
    engine = create_engine(url)
    with engine.connect() as connection:
        versions = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    engine.dispose()
    assert versions == [(HEAD_REVISION,)]
