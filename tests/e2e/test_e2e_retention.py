"""End to end, issue 13: retention. After the team's `retention`, a resolved request's
text, link, field values and resolve note are purged from the database and from every
message the bot posted about it (edited in place); `oncall-bot purge --dry-run` shows
what would go and changes nothing. Signed requests to the running app, Slack answered
by the stand-in, a manual clock.

Team (built here): English only, Ana on call around the clock; sev1 pages Ana, then the
manager (a DM), then the escalation channel, so every kind of message is posted.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from bot.slack import ids
from bot.store.paging_tables import AuditRow, OutboxRow, RequestRow
from tests.cli.runner import run
from tests.e2e.test_e2e_two_person import wait_until
from tests.slack_harness import INTAKE, REQUESTER, ToolHarness, resolve_values, utc

ANA, MGR = "U0RT00001", "U0MGR0001"
ESCAL = "C0ESCAL01"
TEAM = f"""
team: keep-desk
languages: [en]
intake_channel: {INTAKE}
escalation_channel: {ESCAL}
managers: [{MGR}]
specialists:
  - {{id: {ANA}, name: Ana Keeper, timezone: Europe/Dublin, languages: [en]}}
rotations:
  - {{name: all-day, timezone: UTC, shift: "00:00-00:00", handoff: weekly,
     start: 2026-01-05, members: [{ANA}]}}
escalation:
  default_severity: sev1
  policies:
    sev1: {{steps: [{{notify: language_oncall, wait: 2m}}, {{notify: managers, wait: 3m}},
                   {{notify: channel}}], repeat: 0}}
retention: 30d
"""
MARK, LINK, NOTE = "Zebrafinch", "https://evidence.example/zebrafinch-42", "Okapimarker"


@pytest.fixture
def h(tmp_path, db_url):
    folder = tmp_path / "schedules"
    folder.mkdir()
    (folder / "keep-desk.yaml").write_text(TEAM, encoding="utf-8")
    harness = ToolHarness(tmp_path, utc(2026, 6, 10, 12, 0), database_url=db_url,
                          schedules=folder)
    yield harness
    harness.quiet_close()


def _file(h, words: str) -> None:
    r = h.command("/emergency", f"sev1 lang:en {words}", channel=INTAKE)
    assert r.status == 200, r.text


def _button(page: dict, action: str) -> str:
    return next(e["value"] for b in page["blocks"] for e in b.get("elements", [])
                if e.get("action_id") == action)


def _handled_request(h) -> None:
    """T-1: paged, escalated to the manager and the channel, acknowledged, resolved with
    a note. T-2: filed and left open."""
    _file(h, f"{MARK} threatens to hurt someone tonight, see {LINK}")
    h.wait_for_page(ANA)
    h.settle()
    h.advance(120)  # the manager's DM
    h.advance(180)  # the escalation channel
    h.settle()
    [page] = h.pages_to(ANA)
    assert h.click(ids.ACK, _button(page, ids.ACK), ANA).status == 200
    wait_until(lambda: [r for r in h.requests() if r.status == "acknowledged"])
    h.settle()
    r = h.submit_view(ids.RESOLVE_MODAL, resolve_values(f"Escalated to police, {NOTE}"), ANA,
                      private_metadata="1")
    assert r.status == 200, r.text
    wait_until(lambda: [r for r in h.requests() if r.status == "resolved"])
    h.settle()
    _file(h, f"Second report about {MARK}, still being handled right now")
    h.wait_for_page(ANA, count=2)
    h.settle()


def _stored(h) -> str:
    """Every stored value that could hold request text, as one string."""
    with h.runtime.sessions() as session:
        reqs = [(r.text, r.link, r.fields, r.outcome) for r in session.scalars(
            select(RequestRow).order_by(RequestRow.id))]
        audit = [a.detail for a in session.scalars(select(AuditRow).order_by(AuditRow.id))]
        out = [o.payload for o in session.scalars(select(OutboxRow).order_by(OutboxRow.id))]
    return json.dumps([reqs, audit, out], default=str)


def _of_first(h, text: str) -> str:
    """`text` without the second request's words (it stays open, its text kept)."""
    return text.replace(f"Second report about {MARK}", "")


def _latest_versions(h) -> dict[tuple[str, str], str]:
    """Each message the bot posted, as it reads now (its last edit, if any)."""
    latest: dict[tuple[str, str], str] = {}
    for c in h.standin.calls:
        if not c.ok or c.method not in ("chat.postMessage", "chat.update"):
            continue
        channel, ts = c.response.get("channel"), c.response.get("ts")
        latest[(channel, ts)] = json.dumps([c.params.get("text"), c.params.get("blocks")])
    return latest


def test_purge_removes_text_from_the_database_and_slack(h, capsys, monkeypatch):
    _handled_request(h)
    posted = _latest_versions(h)
    with_text = [k for k, v in posted.items() if MARK in _of_first(h, v) or NOTE in v]
    # The card and its thread, the page DM, the manager's DM, the channel alert and the
    # requester's notes:
    # every kind of message carried the text before the purge.
    channels = {ch for ch, _ in with_text}
    assert {INTAKE, f"D{ANA}", f"D{MGR}", ESCAL, f"D{REQUESTER}"} <= channels, channels
    assert NOTE in _stored(h) and LINK in _stored(h)

    # The dry run lists what would go, keeps the open request, and changes nothing.
    monkeypatch.setenv("DATABASE_URL", h.database_url)
    before, calls = _stored(h), len(h.standin.calls)
    dry = run(capsys, "purge", "--dry-run")
    assert dry.code == 0, dry.err
    assert "T-1 (keep-desk" in dry.out and "would remove text, resolve note" in dry.out, \
        dry.out
    assert "T-2 (keep-desk" in dry.out and "kept, it is still open" in dry.out
    assert "nothing was changed" in dry.out
    doc = json.loads(run(capsys, "purge", "--dry-run", "--json").out)
    assert [p["ticket"] for p in doc["purged"]] == ["T-1"]
    assert doc["purged"][0]["slack_edits"] >= 5
    h.advance(1)
    h.settle()
    assert _stored(h) == before and len(h.standin.calls) == calls

    # 31 days later the worker's daily run purges it and edits what was posted.
    h.advance(31 * 86400)
    h.advance(1)  # the edits go out on the next pass
    h.settle()
    stored = _of_first(h, _stored(h))
    assert MARK not in stored and LINK not in stored and NOTE not in stored
    first, second = h.requests()
    assert first.purged is not None and first.text == "" and first.link is None
    assert second.purged is None and MARK in second.text  # still open: kept
    now = _latest_versions(h)
    for key in with_text:
        assert MARK not in _of_first(h, now[key]) and NOTE not in now[key], (key, now[key])
        assert LINK not in now[key]
    assert "purged" in h.audit_actions(first.id)

    # A second run finds nothing more to purge.
    again = run(capsys, "purge")
    assert again.code == 0 and "Purged 0 requests" in again.out


def test_marking_edits_every_message_already_posted(h):
    """Marked graphic after it was paged, escalated and resolved: the card, the page,
    the manager's DM, the channel alert, the requester's notes and the resolve line are
    all edited in place; the text is left only where nobody but the handlers look."""
    _handled_request(h)
    with_text = [k for k, v in _latest_versions(h).items()
                 if MARK in _of_first(h, v) or NOTE in v]
    assert len(with_text) >= 6
    r = h.click(ids.MARK_SENSITIVE, "1", MGR, channel=INTAKE)
    assert r.status == 200, r.text
    wait_until(lambda: h.requests()[0].sensitive)
    h.settle()
    h.advance(1)
    h.settle()
    now = _latest_versions(h)
    for key in with_text:
        assert MARK not in _of_first(h, now[key]) and NOTE not in now[key], (key, now[key])
    thread = " ".join(now[k] for k in with_text if k[0] == INTAKE)
    assert "the note is kept with the request" in thread
