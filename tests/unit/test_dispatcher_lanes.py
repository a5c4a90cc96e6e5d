"""The dispatcher's lanes: a cancelled run is never mistaken for a finished wait."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest

from bot.delivery.dispatcher import _Lanes


def _row(user_id: int) -> Any:
    return SimpleNamespace(item=SimpleNamespace(user_id=user_id, id=user_id), channel_id=None)


@pytest.mark.parametrize("turns", range(6))
async def test_a_cancel_as_the_last_channel_opens_still_cancels_the_wait(turns: int) -> None:
    # Python 3.11's `wait_for` returned the result instead of raising when the cancel came
    # as the wait ended; the run then waited forever on a sender whose request hung.
    lanes = _Lanes()
    await lanes.add([_row(1)])
    job = await lanes.take(lanes.opening)
    assert job is not None
    waiting = asyncio.create_task(lanes.opened(10.0))
    await asyncio.sleep(0)
    job.channel_id = 7
    job.index = 1  # nothing left to send: the member is done
    await lanes.put(job, from_opening=True)
    for _ in range(turns):
        await asyncio.sleep(0)
    cancelled = waiting.cancel()
    if not cancelled:  # the wait had already finished before the cancel: nothing to lose
        assert waiting.result() is True
        return
    with pytest.raises(asyncio.CancelledError):
        await waiting
