"""Azurite (the Azure Blob emulator) as a subprocess of the test session, and its helpers.

The generic part (``free_port``, ``service_process``) also runs ``moto_server``.
"""

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from support.services import REQUIRE_SERVICES_ENV

#: Where scripts/install-test-services.sh installs Node packages (shared by every clone).
NODE_PREFIX_ENV = "PIXCRAWLER_NODE_PREFIX"
DEFAULT_NODE_PREFIX = Path.home() / ".cache" / "pixcrawler" / "node"
ACCOUNT_NAME = "devstoreaccount1"
#: Azurite's well-known development key (public, documented by Microsoft).
ACCOUNT_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)
STARTUP_TIMEOUT = 60.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def service_process(
    name: str, command: list[str], port: int, log_path: Path, env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``command`` in its own process group until the block ends; ready once ``port`` accepts.

    Raises:
        RuntimeError: the process exited or did not listen within ``STARTUP_TIMEOUT``; the
            message ends with its log.
    """
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,  # its own group, so node's or werkzeug's children stop too
        )
        try:
            _wait_until_listening(name, process, port, log_path)
            yield process
        finally:
            _stop(process)


def azurite_binary() -> Path | None:
    """The installed ``azurite-blob`` (the install script's prefix first, then PATH)."""
    prefix = Path(os.environ.get(NODE_PREFIX_ENV) or DEFAULT_NODE_PREFIX)
    candidate = prefix / "node_modules" / ".bin" / "azurite-blob"
    if candidate.exists():
        return candidate
    found = shutil.which("azurite-blob")
    return Path(found) if found else None


def require_azurite() -> Path:
    """The Azurite binary, or a skip (a failure under ``PIXCRAWLER_REQUIRE_SERVICES=1``)."""
    binary = azurite_binary()
    if binary is not None and shutil.which("node"):
        return binary
    reason = "azurite not installed: run scripts/install-test-services.sh"
    if os.environ.get(REQUIRE_SERVICES_ENV) == "1":
        pytest.fail(f"{reason} ({REQUIRE_SERVICES_ENV}=1 requires it)", pytrace=False)
    pytest.skip(reason)


def connection_string(port: int, account_key: str = ACCOUNT_KEY) -> str:
    """A Blob-only connection string for Azurite on ``127.0.0.1:port``."""
    return (
        f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT_NAME};AccountKey={account_key};"
        f"BlobEndpoint=http://127.0.0.1:{port}/{ACCOUNT_NAME};"
    )


@contextmanager
def running_azurite(workdir: Path) -> Iterator[str]:
    """Start Azurite's Blob service on a free port; yields its connection string."""
    binary = require_azurite()
    port = free_port()
    data = workdir / "azurite"
    data.mkdir(parents=True, exist_ok=True)
    command = [
        str(binary),
        "--disableTelemetry",
        "--blobHost",
        "127.0.0.1",
        "--blobPort",
        str(port),
        "--location",
        str(data),
        "--skipApiVersionCheck",
        "--loose",
    ]
    with service_process("azurite", command, port, workdir / "azurite.log"):
        yield connection_string(port)


def _wait_until_listening(
    name: str, process: subprocess.Popen[bytes], port: int, log_path: Path
) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}:\n{_tail(log_path)}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{name} did not listen on port {port} in time:\n{_tail(log_path)}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process group, SIGKILL it if it lingers, and reap the process."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        try:
            process.wait(timeout=10)
            break
        except subprocess.TimeoutExpired:
            continue
    process.wait()


def _tail(log_path: Path, size: int = 4000) -> str:
    return log_path.read_bytes()[-size:].decode("utf-8", "replace")
