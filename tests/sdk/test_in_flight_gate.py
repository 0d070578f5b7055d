"""The async client's in-flight cap (``MAX_IN_FLIGHT``): waits queue for it before they
build their poll (``AwaitSlot``), a close ends the queued waits at once, a cancelled wait
gives its slot back, and 10,000 queued waits all complete with the cap respected on the
wire.

Async only: the blocking client has no in-flight cap (each caller's thread sends its own
requests; ``AwaitSlot`` is done at once there, which ``test_flows`` covers).
"""

from __future__ import annotations

import asyncio
from collections.abc import Generator
from typing import Any

import pytest

from leapocr_sdk import AsyncLeapOCR, ConfigurationError
from leapocr_sdk import _constants as C
from leapocr_sdk._requests import health
from leapocr_sdk._steps import AWAIT_SLOT, Notify, Step
from leapocr_sdk.testing import LeapOCREmulator, make_pdf


def _most_at_once(emu: LeapOCREmulator, route: str) -> int:
    """The most ``route`` requests the emulator was answering at one time."""
    edges = []
    for record in emu.requests:
        if record.route == route:
            edges += [(record.started_at, 1), (record.started_at + record.duration, -1)]
    now = most = 0
    for _, change in sorted(edges, key=lambda edge: (edge[0], edge[1])):
        now += change
        most = max(most, now)
    return most


def test_ten_thousand_queued_waits_complete_within_the_cap(leapocr_emulator_factory, monkeypatch):
    monkeypatch.setattr(C, "MAX_IN_FLIGHT", 4)
    emu = leapocr_emulator_factory(processing_seconds=0.3)
    emu.faults.set_latency(0.002, "result")  # requests overlap: the cap is what bounds them

    async def main() -> list[Any]:
        async with AsyncLeapOCR(api_key=emu.api_key, base_url=emu.base_url) as client:
            pdf = make_pdf(["one page"])
            jobs = [(await client.process_file(pdf)).job_id for _ in range(4)]
            emu.clear_requests()
            waits = [client.wait_until_done(jobs[n % 4], poll_interval=0.2) for n in range(10_000)]
            return await asyncio.gather(*waits)

    results = asyncio.run(main())
    assert len(results) == 10_000
    assert all(result.status.value == "completed" for result in results)
    polls = emu.count("result")
    assert polls >= 10_000
    assert _most_at_once(emu, "result") <= 4
    assert len({record.client_port for record in emu.requests}) <= 4  # no more connections


def test_closing_the_client_ends_queued_waits_with_configuration_error(
    leapocr_emulator_factory, monkeypatch
):
    monkeypatch.setattr(C, "MAX_IN_FLIGHT", 2)
    emu = leapocr_emulator_factory(processing_seconds=3600)

    async def main() -> list[Any]:
        client = AsyncLeapOCR(api_key=emu.api_key, base_url=emu.base_url)
        job = await client.process_file(make_pdf(["one page"]))
        emu.clear_requests()
        emu.faults.set_latency(30.0, "result")  # the first two polls hang in flight
        waits = [
            asyncio.ensure_future(client.wait_until_done(job.job_id, poll_interval=0.1))
            for _ in range(50)
        ]
        await asyncio.sleep(0.3)  # two polls in flight (held by the latency), 48 queued
        await asyncio.wait_for(client.aclose(), 10)
        done, _ = await asyncio.wait(waits, timeout=10)
        assert len(done) == 50, "a queued wait did not end when the client closed"
        return [wait.exception() for wait in waits]

    errors = asyncio.run(main())
    assert all(isinstance(error, ConfigurationError) for error in errors), errors
    assert all("closed" in str(error) for error in errors)
    emu.reset_faults()
    # Only the two in flight reached the emulator; the 48 queued never sent a request.
    assert emu.count("result") <= 2


def test_a_cancelled_wait_gives_its_slot_back(leapocr_emulator_factory, monkeypatch):
    monkeypatch.setattr(C, "MAX_IN_FLIGHT", 1)
    emu = leapocr_emulator_factory(processing_seconds=0.0)

    async def main() -> None:
        async with AsyncLeapOCR(api_key=emu.api_key, base_url=emu.base_url) as client:
            job = await client.process_file(make_pdf(["one page"]))
            runner = client._runner
            later: list[asyncio.Future[Any]] = []

            def hand_over_then_cancel(_: object) -> None:
                # The slot was just handed to the first queued flow, which has not run
                # yet: cancelling it now must give the slot back to the next one.
                later[0].cancel()

            def holder() -> Generator[Step, Any, str]:
                yield AWAIT_SLOT  # takes the only slot, for the call that follows
                yield health()  # its slot goes to the first queued flow as it ends
                yield Notify(hand_over_then_cancel, None)  # before that flow has run
                return "holder"

            def queued(name: str) -> Generator[Step, Any, str]:
                yield AWAIT_SLOT
                return name

            first = asyncio.ensure_future(runner.run(holder()))
            await asyncio.sleep(0)  # the holder has the slot, its request in flight
            later += [asyncio.ensure_future(runner.run(queued(n))) for n in ("b", "c")]
            cancelled_queued = asyncio.ensure_future(runner.run(queued("d")))
            await asyncio.sleep(0)
            cancelled_queued.cancel()  # cancelled while queued: never holds a slot
            assert await asyncio.wait_for(first, 10) == "holder"
            assert await asyncio.wait_for(later[1], 10) == "c"
            assert later[0].cancelled()
            # Every slot is back: waits of this client still go through one at a time.
            results = await asyncio.wait_for(
                asyncio.gather(*(client.wait_until_done(job.job_id) for _ in range(5))), 10
            )
            assert len(results) == 5

    asyncio.run(main())


@pytest.mark.parametrize("where", ["queued", "in_flight"])
def test_cancelled_waits_release_their_slots(leapocr_emulator_factory, monkeypatch, where):
    monkeypatch.setattr(C, "MAX_IN_FLIGHT", 2)
    emu = leapocr_emulator_factory(processing_seconds=0.0)

    async def main() -> None:
        async with AsyncLeapOCR(api_key=emu.api_key, base_url=emu.base_url) as client:
            job = await client.process_file(make_pdf(["one page"]))
            emu.faults.set_latency(30.0, "result")
            waits = [asyncio.ensure_future(client.wait_until_done(job.job_id)) for _ in range(6)]
            await asyncio.sleep(0.3)  # two in flight (held by the latency), four queued
            targets = waits[2:] if where == "queued" else waits[:2]
            for wait in targets:
                wait.cancel()
            await asyncio.wait(targets, timeout=10)
            assert all(wait.cancelled() for wait in targets)
            rest = [wait for wait in waits if wait not in targets]
            for wait in rest:
                wait.cancel()
            await asyncio.wait(rest, timeout=10)
            emu.reset_faults()
            # Both slots are free again: new waits go through.
            results = await asyncio.wait_for(
                asyncio.gather(*(client.wait_until_done(job.job_id) for _ in range(4))), 20
            )
            assert len(results) == 4

    asyncio.run(main())
