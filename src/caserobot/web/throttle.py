"""Throttling of failed logins per client address and per (address, username).

Two counters, each with exponential back-off:

* per (address, username): after ``pair_max_failures`` failures the pair is locked for
  ``base_lock_s``, doubling with each further failure up to ``max_lock_s``. It slows down
  guessing one user's password without locking that user out everywhere: the same name from
  another address is not affected (someone hammering a name cannot keep its owner out);
* per address: after ``address_max_failures`` failures, whatever the names, the address is
  locked the same way. This stops spraying one password over many names.

A successful login clears its pair's count, not its address's (else one known account
would reset the spraying counter). IPv6 addresses count per /64 network, since one host
usually has a whole /64. Memory is bounded: each map keeps at most ``max_entries`` records,
dropping the least recently used, and forgets a record ``forget_after_s`` after its last
failure. In memory on purpose: per process, a restart forgets (fine for slowing down
guessing against one server; several web processes each count on their own).
"""

from __future__ import annotations

import ipaddress
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from threading import Lock

__all__ = ["LoginThrottle"]


@dataclass
class _Count:
    failures: int = 0
    locked_until: float = 0.0
    last_failure: float = 0.0


@dataclass
class _BoundedCounts:
    """An LRU map of counts with a time to live."""

    max_entries: int
    forget_after_s: float
    _items: OrderedDict[object, _Count] = field(default_factory=OrderedDict)

    def get(self, key: object, now: float) -> _Count | None:
        count = self._items.get(key)
        if count is None:
            return None
        if now >= count.locked_until and now - count.last_failure >= self.forget_after_s:
            del self._items[key]
            return None
        self._items.move_to_end(key)
        return count

    def get_or_add(self, key: object, now: float) -> _Count:
        count = self.get(key, now)
        if count is None:
            count = self._items[key] = _Count()
            while len(self._items) > self.max_entries:
                self._items.popitem(last=False)
        return count

    def pop(self, key: object) -> None:
        self._items.pop(key, None)

    def __len__(self) -> int:
        return len(self._items)


@dataclass
class LoginThrottle:
    pair_max_failures: int = 5
    address_max_failures: int = 20
    base_lock_s: float = 30.0
    max_lock_s: float = 15 * 60.0
    forget_after_s: float = 60 * 60.0
    max_entries: int = 10_000
    clock: Callable[[], float] = time.monotonic
    _pairs: _BoundedCounts = field(init=False)
    _addresses: _BoundedCounts = field(init=False)
    _lock: Lock = field(default_factory=Lock)

    def __post_init__(self) -> None:
        self._pairs = _BoundedCounts(self.max_entries, self.forget_after_s)
        self._addresses = _BoundedCounts(self.max_entries, self.forget_after_s)

    def retry_after(self, address: str | None, username: str) -> float:
        """Seconds until a login from ``address`` as ``username`` is tried again; 0: now."""
        now = self.clock()
        with self._lock:
            waits = [
                c.locked_until - now
                for c in (
                    self._addresses.get(_address_key(address), now),
                    self._pairs.get(_pair_key(address, username), now),
                )
                if c is not None and c.locked_until > now
            ]
        return max(waits, default=0.0)

    def failed(self, address: str | None, username: str) -> bool:
        """Count a failed login; True when it started a lock (of the pair or the address)."""
        now = self.clock()
        with self._lock:
            pair = self._pairs.get_or_add(_pair_key(address, username), now)
            addr = self._addresses.get_or_add(_address_key(address), now)
            locked = self._count(pair, self.pair_max_failures, now)
            return self._count(addr, self.address_max_failures, now) or locked

    def succeeded(self, address: str | None, username: str) -> None:
        with self._lock:
            self._pairs.pop(_pair_key(address, username))

    def sizes(self) -> tuple[int, int]:
        """(pairs, addresses) held in memory."""
        with self._lock:
            return len(self._pairs), len(self._addresses)

    def _count(self, count: _Count, max_failures: int, now: float) -> bool:
        count.failures += 1
        count.last_failure = now
        over = count.failures - max_failures
        if over < 0:
            return False
        count.locked_until = now + min(self.base_lock_s * 2 ** min(over, 32), self.max_lock_s)
        return True


def _address_key(address: str | None) -> str:
    if not address:
        return "-"
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:100]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def _pair_key(address: str | None, username: str) -> tuple[str, str]:
    return _address_key(address), username.strip().lower()[:100]
