"""Statistics responses cached in Redis, invalidated by a generation number.

Every commit that changes an aggregate increments ``hoadon:adoption:generation`` after it commits;
responses are stored under the generation current when they were computed, so a change makes every
older entry unreachable at once (they expire on their own). A reader takes the generation *before*
it queries the database: whatever it then reads is at least as new as that generation, so it can
never store old figures under a new generation.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from typing import Any

from redis.exceptions import RedisError

logger = logging.getLogger("hoadon.adoption")
GENERATION_KEY = "hoadon:adoption:generation"
TTL_SECONDS = 300


class AdoptionCache:
    def __init__(self, redis: Any) -> None:
        self._redis = redis

    def invalidate(self) -> None:
        try:
            self._redis.incr(GENERATION_KEY)
        except RedisError as error:
            # Entries still expire after TTL_SECONDS; nothing else depends on this.
            logger.warning("adoption cache not invalidated: %s", type(error).__name__)

    def fetch(self, parts: dict[str, Any], compute: Callable[[], str]) -> str:
        """The cached text for ``parts``, or ``compute()`` stored for the next reader."""
        digest = hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()
        try:
            generation = int(self._redis.get(GENERATION_KEY) or 0)
            key = f"hoadon:adoption:{generation}:{digest}"
            cached = self._redis.get(key)
        except RedisError as error:
            logger.warning("adoption cache unavailable: %s", type(error).__name__)
            return compute()
        if cached is not None:
            return bytes(cached).decode()
        value = compute()
        try:
            self._redis.set(key, value.encode(), ex=TTL_SECONDS)
        except RedisError as error:
            logger.warning("adoption cache unavailable: %s", type(error).__name__)
        return value
