"""Skip, or under ``PIXCRAWLER_REQUIRE_SERVICES=1`` fail, tests whose backing service is down."""

import os
import socket

import pytest

#: Set to ``1`` (as CI does where the services run) to turn a missing service into a failure.
REQUIRE_SERVICES_ENV = "PIXCRAWLER_REQUIRE_SERVICES"


def require_service(name: str, host: str, port: int, timeout: float = 1.0) -> None:
    """Return if ``host:port`` accepts a TCP connection; otherwise skip (or fail) the test.

    Args:
        name: Shown in the reason, e.g. ``"PostgreSQL"``.
        host: Where the service should listen.
        port: Its TCP port.
        timeout: Seconds to wait for the connection.

    Raises:
        pytest.skip.Exception: The service is unreachable and services are optional.
        pytest.fail.Exception: The service is unreachable and ``PIXCRAWLER_REQUIRE_SERVICES=1``.
    """
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return
    except OSError as error:
        reason = f"{name} not reachable on {host}:{port} ({error.strerror or error})"
    if os.environ.get(REQUIRE_SERVICES_ENV) == "1":
        pytest.fail(f"{reason}; {REQUIRE_SERVICES_ENV}=1 requires it", pytrace=False)
    pytest.skip(reason)
