"""The optional Redis connection: short timeouts, because every use of it has a fallback."""

from __future__ import annotations

from typing import Any

import redis


def connect_redis(url: str) -> Any:
    return redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5, health_check_interval=30)
