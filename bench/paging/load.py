"""The load: signed /emergency POSTs on an open-loop schedule (`Client`, `Shot`), their
texts, and the page DMs as they reach the Slack stand-in (`PageWatch`)."""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import json
import math
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.paging.server import HOST, SECRET
from bot.demo.simulate import EVENTS_PATH, SlackSimulator, sign
from bot.demo.slack_standin import Call
from bot.services.intake import too_short

TICKET = re.compile(r"\bT-(\d+)\b")
USER_ID = re.compile(r"^[UW][A-Z0-9]+$")
TEXTS = Path(__file__).resolve().parent.parent / "data" / "emergency_texts.tsv"
REQUESTERS = tuple(f"U0REQ{i:05d}" for i in range(50))
ORIGIN_CHANNEL = "C0GENERAL1"


# -- the stand-in side: page DMs as they arrive ------------------------------------------


class PageWatch:
    """The stand-in's `on_call` hook: the first page DM per ticket, with its arrival time
    (`Call.at`, time.monotonic() when the request reached the stand-in)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self.first: dict[int, float] = {}
        self.user: dict[int, str] = {}
        self.pages: Counter[int] = Counter()  # page DMs per ticket (all steps)
        self.methods: Counter[str] = Counter()
        self.failed: Counter[str] = Counter()

    def reset(self) -> None:
        """Forget the pages seen (each phase has a fresh database: tickets start at T-1)."""
        with self._lock:
            self.first, self.user, self.pages = {}, {}, Counter()

    def snapshot(self) -> tuple[dict[int, float], Counter[int], dict[int, str]]:
        with self._lock:
            return dict(self.first), Counter(self.pages), dict(self.user)

    def __call__(self, call: Call) -> None:
        with self._lock:
            self.methods[call.method] += 1
            if not call.ok:
                self.failed[f"{call.method}: {(call.response or {}).get('error')}"] += 1
        if call.method != "chat.postMessage" or not call.ok:
            return
        channel = str(call.params.get("channel") or "")
        if not USER_ID.match(channel):
            return
        blocks = call.params.get("blocks")
        if "page_ack" not in (blocks if isinstance(blocks, str) else json.dumps(blocks)):
            return
        found = TICKET.search(str(call.params.get("text") or ""))
        if found is None:
            return
        ticket = int(found.group(1))
        with self._cond:
            self.pages[ticket] += 1
            if ticket not in self.first:
                self.first[ticket] = call.at
                self.user[ticket] = channel
                self._cond.notify_all()

    def wait_for(self, tickets: set[int], timeout: float) -> float:
        """Wait (at most `timeout` s) until every ticket has a page; returns seconds waited."""
        t0 = time.monotonic()
        deadline = t0 + timeout
        with self._cond:
            while not tickets <= self.first.keys():
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(min(left, 0.5))
        return time.monotonic() - t0


# -- the load ---------------------------------------------------------------------------


@dataclasses.dataclass
class Shot:
    """One signed /emergency POST."""

    n: int
    text: str
    detect: bool = False
    scheduled: float = math.nan
    start: float = math.nan
    end: float = math.nan
    status: int = 0  # 0: no HTTP answer (timeout, connection error)
    ticket: int | None = None
    error: str | None = None
    port: int = 0  # where it was sent

    @property
    def trigger_id(self) -> str:
        return f"{self.n}.1111.bench{self.n:06d}"

    @property
    def ack(self) -> float:
        return self.end - self.start

    @property
    def acked(self) -> bool:
        """Slack would count this as acknowledged: HTTP 200 within 3 s."""
        return self.status == 200 and self.ticket is not None and self.ack <= 3.0


class Client:
    """Signed POSTs to /slack/events on an open-loop schedule, from an asyncio loop: every
    request is its own task, started at its scheduled instant however slow the earlier
    ones are, and given up after `timeout` s (Slack itself gives up after 3 s)."""

    def __init__(self, port: int, timeout: float,
                 route: Callable[[Shot], int] | None = None):
        """`route`: the port each request goes to (a load balancer in front of several
        web processes); by default `port`."""
        self.port = port
        self.timeout = timeout
        self.route = route or (lambda _shot: port)
        self.sim = SlackSimulator(f"http://{HOST}:{port}", SECRET)

    def _body(self, shot: Shot) -> bytes:
        return self.sim.command_body("/emergency", shot.text,
                                     REQUESTERS[shot.n % len(REQUESTERS)], ORIGIN_CHANNEL,
                                     trigger_id=shot.trigger_id)

    def _request(self, shot: Shot, body: bytes | None = None) -> bytes:
        """The request, signed now (Slack's timestamp is when it sends)."""
        body = self._body(shot) if body is None else body
        headers = {"Host": f"{HOST}:{shot.port}",
                   "Content-Type": "application/x-www-form-urlencoded",
                   "Content-Length": str(len(body)), **sign(body, SECRET)}
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        # HTTP/1.0: the server closes the connection after the answer; read to EOF.
        return f"POST {EVENTS_PATH} HTTP/1.0\r\n{head}\r\n".encode() + body

    async def _exchange(self, request: bytes, port: int) -> bytes:
        reader, writer = await asyncio.open_connection(HOST, port)
        try:
            writer.write(request)
            await writer.drain()
            return await reader.read()
        finally:
            writer.close()

    async def fire(self, shot: Shot, body: bytes | None = None) -> None:
        shot.port = self.route(shot)
        request = self._request(shot, body)
        shot.start = time.monotonic()
        try:
            raw = await asyncio.wait_for(self._exchange(request, shot.port), self.timeout)
        except TimeoutError:
            shot.end = time.monotonic()
            shot.error = "timeout"
            return
        except OSError as err:
            shot.end = time.monotonic()
            shot.error = type(err).__name__
            return
        shot.end = time.monotonic()
        head, _, body = raw.partition(b"\r\n\r\n")
        try:
            shot.status = int(head.split(b" ", 2)[1])
        except (IndexError, ValueError):
            shot.error = "bad answer"
            return
        text = body.decode(errors="replace")
        found = TICKET.search(text) if shot.status == 200 else None
        if shot.status != 200:
            shot.error = f"HTTP {shot.status}"
        elif found is None:
            shot.error = "200 without a ticket"
        else:
            shot.ticket = int(found.group(1))

    async def _open_loop(self, shots: list[Shot], rate: float) -> None:
        # The form bodies are written before the clock starts (only the signature needs
        # the moment of sending): this process shares the machine's cores with the bot,
        # and writing them during the load was a tenth of its interpreter lock.
        bodies = [self._body(shot) for shot in shots]
        t0 = time.monotonic() + 0.05
        tasks = []
        for i, (shot, body) in enumerate(zip(shots, bodies, strict=True)):
            shot.scheduled = t0 + i / rate
            delay = shot.scheduled - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(self.fire(shot, body)))
        await asyncio.gather(*tasks)

    def open_loop(self, shots: list[Shot], rate: float) -> float:
        t0 = time.monotonic()
        with collector_paused():
            asyncio.run(self._open_loop(shots, rate))
        return time.monotonic() - t0

    def sequential(self, shots: list[Shot]) -> None:
        async def run() -> None:
            for shot in shots:
                shot.scheduled = time.monotonic()
                await self.fire(shot)

        asyncio.run(run())


@contextmanager
def collector_paused() -> Iterator[None]:
    """This process's cyclic garbage collector off while a load runs. The client and the
    Slack stand-in share this process, and its full passes over what the stand-in had
    recorded grew to 120-250 ms, every few seconds: the client stalled, then sent what it
    owed in a burst, and the stand-in stamped page DMs late. The bot's tail was the
    bench's. Its garbage is mostly freed by reference counting anyway; a collection runs
    before and after."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect()


def load_texts() -> list[tuple[str, str]]:
    rows = []
    for line in TEXTS.read_text(encoding="utf-8").splitlines()[1:]:
        lang, _, text = line.partition("\t")
        # The load measures filing: a text too short to page on without asking gets a
        # question back, not a ticket, so it is left out.
        if text.strip() and not too_short(text):
            rows.append((lang, text.strip()))
    return rows


def make_shots(count: int, start_n: int, texts: list[tuple[str, str]],
               detect_share: float) -> list[Shot]:
    """`detect_share` of the requests have no `lang:` (spread evenly), the rest `lang:ar`."""
    shots = []
    for i in range(count):
        n = start_n + i
        _, text = texts[n % len(texts)]
        if math.floor((i + 1) * detect_share) > math.floor(i * detect_share):
            shots.append(Shot(n, f"sev2 {text} #{n}", detect=True))
        else:
            shots.append(Shot(n, f"sev2 lang:ar bench request #{n}: {text}"))
    return shots
