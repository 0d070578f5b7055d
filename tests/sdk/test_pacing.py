"""The pacing logic (``_pacing.Pacer``) against a scripted fixed-window server, on a fake clock.

Each run sends requests from several workers as fast as the pacer lets them, through a
model of the service's rate limiter (``X-RateLimit-*`` answered as the service does, with
its own clock and ``Date``), with request and answer latencies. The pacer must never let
a request go that the server then refuses, and must still spend most of the budget.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Callable
from email.utils import formatdate

import pytest

from leapocr_sdk._pacing import Pacer

EPOCH = 1_790_000_000.0  # the local Unix time at fake-clock 0


class Server:
    """A fixed window of ``limit`` requests per ``window`` seconds, on a clock ``skew``
    seconds off the client's; refused requests spend nothing (as the service)."""

    def __init__(
        self,
        limit: int,
        window: float,
        *,
        skew: float = 0.0,
        date: bool = True,
        headers: Callable[[int], bool] = lambda n: True,
        relative_reset: bool = False,
    ) -> None:
        self.limit, self.window, self.skew = limit, window, skew
        self.date, self.with_headers, self.relative_reset = date, headers, relative_reset
        self.start = -math.inf
        self.count = 0
        self.accepted = 0
        self.refused = 0
        self.seen = 0

    def handle(self, local: float) -> dict[str, str]:
        now = EPOCH + local + self.skew
        if now >= self.start + self.window:
            self.start, self.count = now, 0
        self.seen += 1
        ok = self.count < self.limit
        if ok:
            self.count += 1
            self.accepted += 1
        else:
            self.refused += 1
        if not self.with_headers(self.seen):
            return {}
        reset = math.ceil(self.start + self.window)
        headers = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(max(0, self.limit - self.count)),
            "X-RateLimit-Reset": str(reset),
        }
        if self.relative_reset:  # seconds from now
            headers["X-RateLimit-Reset"] = str(math.ceil(self.start + self.window - now))
        if self.date:
            headers["Date"] = formatdate(now, usegmt=True)
        return headers


def simulate(
    server: Server,
    *,
    workers: int = 8,
    seconds: float = 60.0,
    up: float = 0.02,
    down: float = 0.03,
    tick: float = 0.01,
    events: Callable[[float, Server], None] = lambda t, s: None,
    lost: Callable[[int], bool] = lambda n: False,
    log: list[tuple[float, float, dict[str, str] | None, bool]] | None = None,
) -> Pacer:
    """Run ``workers`` that each send one request after another through one pacer;
    ``log`` gets (sent, received, headers, refused) for each request."""
    pacer = Pacer()
    queue: list[tuple[float, int, str, int, float]] = []
    order = itertools.count()
    waiting = {w: pacer.enter("result") for w in range(workers)}
    answers: dict[int, dict[str, str] | None] = {}
    sent_count = 0
    for step in range(int(seconds / tick)):
        now = step * tick
        events(now, server)
        while queue and queue[0][0] <= now:
            at, _, kind, worker, sent = heapq.heappop(queue)
            if kind == "arrive":
                refused = server.refused
                headers = server.handle(at)
                answers[worker] = None if lost(server.seen) else headers
                if log is not None:
                    log.append((sent, at + down, answers[worker], server.refused > refused))
                heapq.heappush(queue, (at + down, next(order), "answer", worker, sent))
            else:
                pacer.answered(answers.pop(worker), sent=sent, received=at, wall=EPOCH + at)
                waiting[worker] = pacer.enter("result")
        for worker, ticket in list(waiting.items()):
            if pacer.admit(ticket, now) == 0.0:
                del waiting[worker]
                sent_count += 1
                heapq.heappush(queue, (now + up, next(order), "arrive", worker, now))
    return pacer


def capacity(server: Server, seconds: float) -> float:
    return server.limit * seconds / server.window


@pytest.mark.parametrize("window", [6.0, 60.0, 2.5])
def test_never_refused_across_window_resets(window: float) -> None:
    server = Server(10, window)
    simulate(server, seconds=4 * window + 1)
    assert server.refused == 0
    # Each window is used (Reset is read in whole seconds, so a little is left unused).
    assert server.accepted >= 0.7 * capacity(server, 4 * window)


def test_remaining_zero_waits_for_the_reset() -> None:
    server = Server(3, 10.0)
    server.handle(-1.0), server.handle(-1.0)  # someone else spent two already
    simulate(server, workers=4, seconds=25)
    assert server.refused == 0
    assert server.accepted - 2 >= 5  # one left, then two whole windows


def test_no_headers_is_not_paced() -> None:
    server = Server(1000, 6.0, headers=lambda n: False)
    simulate(server, workers=2, seconds=1.0)
    assert server.accepted > 10  # nothing to go on: requests go (the 429 retry remains)


def test_answers_missing_some_headers_or_lost_count_as_spent() -> None:
    server = Server(5, 6.0, headers=lambda n: n % 3 != 0)
    simulate(server, seconds=40, lost=lambda n: n % 7 == 0)
    assert server.refused == 0
    assert server.accepted >= 0.5 * capacity(server, 36)


@pytest.mark.parametrize("new_limit", [4, 25])
def test_a_limit_changing_mid_run(new_limit: int) -> None:
    server = Server(10, 6.0)

    def change(now: float, s: Server) -> None:
        if now >= 14.0:
            s.limit = new_limit  # mid-window: what is counted stays counted

    log: list[tuple[float, float, dict[str, str] | None, bool]] = []
    simulate(server, seconds=40, events=change, log=log)
    # Only requests already sent when the server changed its mind can be refused:
    # none sent after the first answer that tells.
    told = min(got for _, got, h, _ in log if h and h["X-RateLimit-Limit"] == str(new_limit))
    assert [sent for sent, _, _, refused in log if refused and sent >= told] == []
    assert server.refused <= (8 if new_limit < 10 else 0)
    assert server.accepted >= 0.7 * (10 * 2 + new_limit * 4)


@pytest.mark.parametrize("skew", [-3600.0, -37.4, -1.5, 1.5, 37.4, 3600.0])
def test_clock_skew_between_reset_and_local_time(skew: float) -> None:
    """``Reset`` is the server's Unix time; the local clock may run ahead or behind (by
    more than the one-second resolution of ``Date``, which tells it)."""
    server = Server(10, 6.0, skew=skew)
    simulate(server, seconds=40)
    assert server.refused == 0
    assert server.accepted >= 0.7 * capacity(server, 36)


def test_relative_reset_seconds() -> None:
    server = Server(6, 4.0, date=False, relative_reset=True)
    simulate(server, seconds=30)
    assert server.refused == 0
    assert server.accepted >= 0.6 * capacity(server, 28)


def test_without_date_the_local_clock_is_trusted() -> None:
    server = Server(10, 6.0, date=False)
    simulate(server, seconds=30)
    assert server.refused == 0
    assert server.accepted >= 0.7 * capacity(server, 24)


def test_a_short_budget_goes_to_submissions_and_reads_then_the_nearest_poll() -> None:
    pacer = Pacer()
    first = pacer.enter("models")
    assert pacer.admit(first, 0.0) == 0.0
    headers = {
        "X-RateLimit-Limit": "10",
        "X-RateLimit-Remaining": "2",  # two left until the reset, 5 s away
        "X-RateLimit-Reset": str(int(EPOCH) + 5),
        "Date": formatdate(EPOCH, usegmt=True),
    }
    pacer.answered(headers, sent=0.0, received=0.0, wall=EPOCH)
    far = pacer.enter("result", due=40.0)
    status = pacer.enter("status")
    near = pacer.enter("result", due=12.0)
    read = pacer.enter("result")
    submit = pacer.enter("initiate")
    # Two slots: the submission and the read go, whichever asks first.
    assert pacer.admit(far, 0.1) is None
    assert pacer.admit(near, 0.1) is None
    assert pacer.admit(status, 0.1) is None
    assert pacer.admit(submit, 0.1) == 0.0
    assert pacer.admit(read, 0.1) == 0.0
    # Spent: every poll waits for the reset.
    wait = pacer.admit(near, 0.2)
    assert wait is not None and 4.0 <= wait <= 5.8
    # After it: the nearest predicted end first, a plain status poll last.
    pacer.answered(None, sent=0.1, received=0.3, wall=EPOCH + 0.3)
    pacer.answered(None, sent=0.1, received=0.3, wall=EPOCH + 0.3)
    assert pacer.available(6.0) == 10
    assert [pacer.admit(t, 6.0) for t in (status, far, near)] == [0.0, 0.0, 0.0]
    tight = Pacer()
    tight.answered(headers, sent=0.0, received=0.0, wall=EPOCH)
    polls = [tight.enter("result", due=d) for d in (30.0, 10.0, 20.0)]
    tight.enter("status")
    assert [tight.admit(t, 0.1) for t in polls] == [None, 0.0, 0.0]


def test_a_request_given_up_leaves_its_turn() -> None:
    pacer = Pacer()
    pacer.answered(
        {"X-RateLimit-Limit": "5", "X-RateLimit-Remaining": "1", "X-RateLimit-Reset": "9"},
        sent=0.0,
        received=0.0,
        wall=EPOCH,
    )
    submit = pacer.enter("initiate")
    poll = pacer.enter("result", due=1.0)
    assert pacer.admit(poll, 0.0) is None
    pacer.leave(submit)  # e.g. cancelled while waiting
    assert pacer.admit(poll, 0.0) == 0.0
    late = pacer.enter("status")
    assert pacer.admit(late, 0.0) == pytest.approx(9.0)
    assert pacer.admit(late, 1.0, force=True) == 0.0  # its timeout: it goes anyway


def test_an_admitted_request_never_sent_gives_its_budget_back() -> None:
    pacer = Pacer()
    pacer.answered(
        {"X-RateLimit-Limit": "5", "X-RateLimit-Remaining": "1", "X-RateLimit-Reset": "9"},
        sent=0.0,
        received=0.0,
        wall=EPOCH,
    )
    first = pacer.enter("result", due=1.0)
    assert pacer.admit(first, 0.0) == 0.0  # the last request of the window
    second = pacer.enter("result", due=2.0)
    assert pacer.admit(second, 0.0) == pytest.approx(9.0)  # none left: the reset
    pacer.withdraw()  # the first was cancelled while it queued for the in-flight cap
    assert pacer.admit(second, 0.0) == 0.0
