"""A seat's lanes (``work.items_per_seat``): what they share and how they take turns.

The end-to-end tests of the engines (tests/engine/test_*_engine.py) run with two lanes per
seat and check that nothing is lost or written twice; these check the two guards alone.
"""

from __future__ import annotations

import asyncio

from caserobot.legacy.web import PageLock
from caserobot.worker import _Seat


def test_the_page_is_one_items_at_a_time_and_reentrant_within_it() -> None:
    order: list[str] = []

    async def main() -> None:
        lock = PageLock()
        entered = asyncio.Event()

        async def write(name: str) -> None:
            async with lock():
                order.append(f"{name} in")
                entered.set()
                async with lock():  # a write that reads back and logs in again: no deadlock
                    await asyncio.sleep(0.05)
                order.append(f"{name} out")

        first = asyncio.create_task(write("a"))
        await entered.wait()
        await asyncio.wait_for(asyncio.gather(first, write("b")), 5)

    asyncio.run(main())
    assert order == ["a in", "a out", "b in", "b out"]


def test_a_renewal_waits_for_the_items_inside_and_holds_new_ones_back() -> None:
    events: list[str] = []

    async def main() -> None:
        seat = _Seat()
        inside = asyncio.Event()
        release = asyncio.Event()

        async def item(name: str, hold: asyncio.Event | None = None) -> None:
            async with seat.item():
                events.append(f"{name} start")
                inside.set()
                if hold is not None:
                    await hold.wait()
                events.append(f"{name} end")

        async def renew() -> None:
            async with seat.alone():
                events.append("renew")

        running = asyncio.create_task(item("a", release))
        await inside.wait()
        renewal = asyncio.create_task(renew())
        await asyncio.sleep(0.05)
        assert events == ["a start"]  # the renewal waits for the item inside
        later = asyncio.create_task(item("b"))
        await asyncio.sleep(0.05)
        assert events == ["a start"]  # and no new item starts while it waits
        release.set()
        await asyncio.wait_for(asyncio.gather(running, renewal, later), 5)

    asyncio.run(main())
    assert events == ["a start", "a end", "renew", "b start", "b end"]
