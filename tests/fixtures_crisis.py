"""The crisis desk: what the crisis, crisis-card and sweep end-to-end tests share.

`crisis_desk` is a `ToolHarness` on the category desk (`category-desk.yaml`, Arabic
and other languages, with a manager) at START, on SQLite and PostgreSQL (`db_url`);
the clock moves only when a test moves it. `oncall` sends `/oncall` and returns what
it answered as one string to search; `crises` reads the crisis rows; `wait_for` waits
for the sending threads (never for a deadline).
"""

from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import select

from bot.store.crisis_tables import CrisisRow
from tests.slack_harness import FIXTURE_TEAMS, ToolHarness, utc

MANAGER = "U0MGR0001"
REQUESTER = "U0REQ0001"
START = utc(2026, 7, 1, 12, 0)


@pytest.fixture
def crisis_desk(tmp_path, db_url):
    h = ToolHarness(tmp_path, START, database_url=db_url,
                    schedules=FIXTURE_TEAMS / "category-desk.yaml")
    yield h
    h.quiet_close()


def oncall(h: ToolHarness, text: str, user: str = MANAGER) -> str:
    """`/oncall <text>` from `user`: the answer's text and its blocks (as JSON)."""
    r = h.command("/oncall", text, user=user)
    assert r.status == 200, r.text
    body = r.json()
    return body.get("text", "") + json.dumps(body.get("blocks") or [], ensure_ascii=False)


def crises(h: ToolHarness) -> list[CrisisRow]:
    with h.runtime.sessions() as session:
        return list(session.scalars(select(CrisisRow).order_by(CrisisRow.id)))


def wait_for(check, what: str):
    """Wait for the sending thread (not for a deadline: the clock does not move)."""
    until = time.monotonic() + 30  # only a bound: generous, the machine may be busy
    while time.monotonic() < until:
        found = check()
        if found:
            return found
        time.sleep(0.01)
    raise AssertionError(f"never happened: {what}")
