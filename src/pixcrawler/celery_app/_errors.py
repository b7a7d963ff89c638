"""What a broker client raises when the broker is unreachable (Redis, AMQP, a socket)."""

from kombu.exceptions import OperationalError
from redis.exceptions import RedisError

BROKER_ERRORS: tuple[type[Exception], ...] = (OperationalError, RedisError, OSError)
