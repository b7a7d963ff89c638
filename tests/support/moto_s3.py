"""moto's S3 server as a subprocess of the test session, with throwaway AWS credentials."""

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from support.azurite import free_port, service_process

REGION = "us-east-1"
#: moto accepts any credentials until auth is enforced (see ``enforced_auth``).
TEST_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_EC2_METADATA_DISABLED": "true",
}
_UNSET = ("AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL")


def moto_server_binary() -> Path:
    """The venv's ``moto_server`` script (moto[server] is a dev dependency)."""
    return Path(sys.executable).parent / "moto_server"


@contextmanager
def aws_test_environment(workdir: Path) -> Iterator[None]:
    """Fake credentials and no shared config files, restored when the block ends."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in TEST_CREDENTIALS.items():
            patch.setenv(name, value)
        for name in _UNSET:
            patch.delenv(name, raising=False)
        patch.setenv("AWS_CONFIG_FILE", str(workdir / "no-aws-config"))
        patch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(workdir / "no-aws-credentials"))
        yield


@contextmanager
def running_moto_server(workdir: Path) -> Iterator[str]:
    """Start ``moto_server`` on a free port; yields its endpoint URL."""
    binary = moto_server_binary()
    if not binary.exists():
        pytest.fail(f"{binary} missing: install the dev dependencies (moto[server])")
    port = free_port()
    command = [str(binary), "-H", "127.0.0.1", "-p", str(port)]
    with service_process("moto_server", command, port, workdir / "moto_server.log"):
        yield f"http://127.0.0.1:{port}"


@contextmanager
def enforced_auth(endpoint: str) -> Iterator[None]:
    """Make moto check credentials (unknown keys get 403) until the block ends."""
    _reset_auth(endpoint, "0")
    try:
        yield
    finally:
        _reset_auth(endpoint, "inf")


def _reset_auth(endpoint: str, no_auth_requests: str) -> None:
    response = httpx.post(f"{endpoint}/moto-api/reset-auth", content=no_auth_requests)
    response.raise_for_status()
