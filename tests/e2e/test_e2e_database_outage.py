"""End to end on PostgreSQL: the database becomes unreachable while the app serves.

The outage is made the way it happens to a running app: its connections are cut and
new ones refused (`ALLOW_CONNECTIONS false` and `pg_terminate_backend` on its own
database). Meanwhile `/emergency` answers within Slack's 3 seconds with an ephemeral
"could not file this, try again or post it in #intake" (the channel from the rosters
the process already holds), `/healthz` answers 503 `{"ok": false}`; once the database
is back, both work again. A server that accepts connections and never answers is
covered too: a connection attempt gives up in time (`PG_CONNECT_TIMEOUT_S`).
"""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.request

import pytest
from sqlalchemy.exc import OperationalError

from bot.store.db import make_engine
from bot.store.paging_tables import RequestRow
from tests.slack_harness import ToolHarness, utc

pytestmark = pytest.mark.postgres

INTAKE = "C0INTAKE01"  # schedules/: the team's intake channel


@pytest.fixture
def app(tmp_path, outage_database):
    url, reachable = outage_database
    h = ToolHarness(tmp_path, utc(2026, 7, 1, 12, 0), database_url=url)
    try:
        yield h, reachable
    finally:
        reachable(True)
        h.quiet_close()


def _healthz(h) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(h.server.url + "/healthz", timeout=5) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as err:
        assert err.headers["Content-Type"] == "application/json"
        return err.code, json.loads(err.read())


def _emergency(h, text_: str = "sev1 lang:ar تهديد بتفجير مدرسة"):
    t0 = time.monotonic()
    r = h.command("/emergency", text_)
    return r, time.monotonic() - t0


def test_emergency_during_an_outage_says_where_to_post_it_then_files_again(app):
    h, reachable = app
    r, _ = _emergency(h)
    assert r.status == 200 and "Filed T-1" in r.json()["text"]
    assert _healthz(h) == (200, {"ok": True})

    reachable(False)
    r, took = _emergency(h)
    assert took < 3.0, f"answered after {took:.2f} s"
    assert r.status == 200, r.text
    doc = r.json()
    assert doc["response_type"] == "ephemeral"
    assert doc["text"] == (f":warning: Could not file this request right now. Please try "
                           f"again, or post it in <#{INTAKE}> so the on-call readers see it.")
    assert _healthz(h) == (503, {"ok": False})

    reachable(True)
    r, _ = _emergency(h)
    assert r.status == 200 and "Filed T-2" in r.json()["text"], r.text
    assert _healthz(h) == (200, {"ok": True})
    assert h.count_rows(RequestRow) == 2  # the one refused was never half-filed


def test_emergency_during_an_outage_before_any_team_was_loaded(app):
    """A process that never read a roster (the outage began before its first request)
    cannot name the channel, and says so plainly."""
    h, reachable = app
    reachable(False)
    r, took = _emergency(h)
    assert took < 3.0
    assert r.status == 200
    assert r.json()["text"] == (":warning: Could not file this request right now. Please "
                                "try again, or post it in your team’s intake channel so "
                                "the on-call readers see it.")


def test_a_form_submitted_during_an_outage_stays_open_with_the_reason(app):
    from bot.slack import ids
    from tests.slack_harness import emergency_values

    h, reachable = app
    reachable(False)
    r = h.submit_view(ids.EMERGENCY_MODAL, emergency_values("a live threat"), "U0REQ0001")
    assert r.status == 200
    doc = r.json()
    assert doc["response_action"] == "errors"
    assert doc["errors"] == {ids.TEXT_BLOCK: "Could not file this request right now. Please "
                             "try again in a minute, or post it in your team’s intake channel."}


def test_connecting_to_a_server_that_never_answers_gives_up_in_time():
    """A PostgreSQL address that accepts the TCP connection and then says nothing (a
    hung server, a half-open network path): the attempt ends well inside Slack's 3 s."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # connections complete in the backlog; nobody ever answers
        port = silent.getsockname()[1]
        engine = make_engine(f"postgresql+psycopg://postgres@127.0.0.1:{port}/nothing")
        t0 = time.monotonic()
        with pytest.raises(OperationalError), engine.connect():
            pass
        took = time.monotonic() - t0
        engine.dispose()
    assert took < 3.0, f"gave up after {took:.2f} s"
