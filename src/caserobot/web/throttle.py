"""Throttling of failed logins, per username, in this process's memory.

After ``max_failures`` failures in a row a username is locked for ``lock_seconds``; a
successful login clears its count. In memory on purpose: a restart forgets, which is fine
for slowing down password guessing against one server.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from threading import Lock


@dataclass
class LoginThrottle:
    max_failures: int = 5
    lock_seconds: float = 30.0
    clock: Callable[[], float] = time.monotonic
    _failures: dict[str, int] = field(default_factory=dict)
    _locked_until: dict[str, float] = field(default_factory=dict)
    _lock: Lock = field(default_factory=Lock)

    def locked(self, username: str) -> bool:
        """Whether logins for this username are refused right now."""
        key = username.strip().lower()
        with self._lock:
            until = self._locked_until.get(key)
            if until is None:
                return False
            if self.clock() >= until:
                del self._locked_until[key]
                self._failures.pop(key, None)
                return False
            return True

    def failed(self, username: str) -> None:
        key = username.strip().lower()
        with self._lock:
            count = self._failures.get(key, 0) + 1
            self._failures[key] = count
            if count >= self.max_failures:
                self._locked_until[key] = self.clock() + self.lock_seconds

    def succeeded(self, username: str) -> None:
        key = username.strip().lower()
        with self._lock:
            self._failures.pop(key, None)
            self._locked_until.pop(key, None)
