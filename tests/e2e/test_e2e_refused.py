"""End to end, issue 9: a page Slack refuses for good moves on at once.

Signed `/emergency` commands to the running app; the Slack stand-in answers the page DMs
to one person with a permanent error (`user_not_found`, `account_inactive`), as Slack
does for a deactivated account. The clock never moves: whatever happens next comes from
the refusal itself, within one reconciler tick, never from a step's deadline. On SQLite
and PostgreSQL.

Team: schedules/example/safety-escalations.yaml.
- 2026-03-10 14:05 UTC: Karim and Omar both read Arabic on call (Karim sorts first),
  Rami is the off-shift Arabic backup.
- 2026-07-01 12:00 UTC: Omar is the only Arabic reader on call; Rami the backup.
sev1: language_oncall 2m, language_oncall_all 2m, language_backup 3m, managers 3m, channel.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.slack import ids
from bot.store.paging_tables import AuditRow
from tests.slack_harness import INTAKE, ToolHarness, blocks_text, list_first, page_id_of, utc

OMAR = "U0EU00009"
KARIM = "U0AM00011"
RAMI = "U0AM00010"
MANAGERS = ("U0MGR0001", "U0MGR0002")
ARABIC = "sev1 lang:ar بث مباشر لشخص يهدد بالانتحار الآن"
OVERLAP = utc(2026, 3, 10, 14, 5)
OMAR_ALONE = utc(2026, 7, 1, 12, 0)
NOTICE = "Slack refused a page to"


@pytest.fixture
def overlap(tmp_path, db_url):
    h = ToolHarness(tmp_path, OVERLAP, database_url=db_url)
    list_first(h)  # Karim, then Omar: the order the team lists them
    yield h
    h.quiet_close()


@pytest.fixture
def omar_alone(tmp_path, db_url):
    h = ToolHarness(tmp_path, OMAR_ALONE, database_url=db_url)
    yield h
    h.quiet_close()


def file(h: ToolHarness, text: str) -> None:
    r = h.command("/emergency", text)
    assert r.status == 200 and "T-" in r.json()["text"], r.text


def refused_posts(h: ToolHarness, user: str, count: int) -> list:
    """Wait for `count` page DMs to `user` that Slack refused."""
    return h.standin.wait_for(
        lambda c: (c.method == "chat.postMessage" and not c.ok
                   and c.params.get("channel") == user),
        count=count, description=f"{count} refused post(s) to {user}")


def page_to(h: ToolHarness, user: str, ticket: str) -> str:
    """Wait for `user`'s page DM for `ticket`; its page id."""
    def match(c) -> bool:
        return (c.method == "chat.postMessage" and c.ok and c.params.get("channel") == user
                and f"· {ticket} ·" in c.params.get("text", "")
                and "page_ack" in blocks_text(c.params))

    [call] = h.standin.wait_for(match, description=f"page DM to {user} for {ticket}")
    return page_id_of(call.params)


def thread_texts(h: ToolHarness, ticket: str) -> list[str]:
    h.wait_posted(INTAKE, f" {ticket} ")
    return [m["text"] for m in h.thread(h.card(ticket)["ts"])]


def notices_to(h: ToolHarness, user: str) -> list:
    return [c for c in h.posts(user) if NOTICE in blocks_text(c.params)]


def test_user_not_found_pages_the_next_reader_within_one_tick_and_a_burst_of_ten_tells_the_managers_once(  # noqa: E501
        overlap):
    h = overlap
    h.fail_posts_to(KARIM, "user_not_found", count=1000)  # Karim's account is gone

    for n in range(1, 11):
        ticket = f"T-{n}"
        file(h, f"{ARABIC} {n}")
        # Karim is the best match each time (he and Omar tie, Karim sorts first).
        refused_posts(h, KARIM, count=n)
        h.advance(0)  # one reconciler tick; the clock stays where it was
        page_to(h, OMAR, ticket)

    h.settle()
    assert h.clock.now() == OVERLAP  # no deadline was involved
    for n in range(1, 11):
        assert h.db_pages(n) == [(KARIM, 0, 0, "on_call", "undeliverable", False),
                                 (OMAR, 0, 0, "on_call", "pending", False)]
        assert "undeliverable" in h.audit_actions(n)
    # The timeline of each request says why, in plain words.
    line = (f"Could not reach <@{KARIM}> on Slack (deactivated account); paging <@{OMAR}>, "
            "the next Arabic reader on call")
    assert any(line in t for t in thread_texts(h, "T-1")), thread_texts(h, "T-1")
    assert any(line in t for t in thread_texts(h, "T-10"))
    # Ten refusals, one message to each manager, about the first.
    for manager in MANAGERS:
        [notice] = notices_to(h, manager)
        text = notice.params["text"]
        assert f"<@{KARIM}> (T-1): their Slack account is deactivated or missing" in text
        assert "/oncall rotation remove" in text
    with h.runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(AuditRow).where(
            AuditRow.action == "refusal_notice")) == 1
    # Omar can take it as usual; the escalation goes on from his page.
    h.click(ids.ACK, page_to(h, OMAR, "T-3"), OMAR)
    h.wait_posted("U0REQ0001", "acknowledged")
    [req] = [r for r in h.requests() if r.ticket == "T-3"]
    assert (req.status, req.assignee) == ("acknowledged", OMAR)


def test_nobody_left_in_the_step_fires_the_next_step_at_once(omar_alone):
    h = omar_alone
    h.fail_posts_to(OMAR, "account_inactive", count=100)
    file(h, ARABIC)
    refused_posts(h, OMAR, count=1)
    h.advance(0)
    # Omar was the only Arabic reader on call: language_oncall_all finds nobody else
    # either, so the backup step fires now, not after 2 + 2 minutes.
    page_to(h, RAMI, "T-1")
    h.settle()
    assert h.clock.now() == OMAR_ALONE
    assert h.db_pages(1) == [(OMAR, 0, 0, "on_call", "undeliverable", False),
                             (RAMI, 0, 2, "backup", "pending", False)]
    texts = "\n".join(thread_texts(h, "T-1"))
    assert (f"Could not reach <@{OMAR}> on Slack (deactivated account); nobody else to "
            f"page at this step: now paging <@{RAMI}>, an off-shift Arabic backup") in texts
    for manager in MANAGERS:
        assert len(notices_to(h, manager)) == 1
    # The backup step's own wait (3 min) runs from now: at 2m59s nothing more fires.
    h.advance(179)
    assert [c.params["channel"] for c in h.page_posts()] == [RAMI]
    assert h.db_pages(1)[-1][4] == "pending"
    h.advance(1)
    for manager in MANAGERS:
        h.wait_posted(manager, "T-1")


def test_a_refusal_after_the_request_was_acknowledged_changes_nothing(omar_alone):
    """The hook can come late (the DM's Slack call was retried for a while): an
    acknowledgement that came first wins, and a repeated refusal does nothing."""
    h = omar_alone
    file(h, ARABIC)
    page = int(page_to(h, OMAR, "T-1"))
    h.click(ids.ACK, str(page), OMAR)
    h.wait_posted("U0REQ0001", "acknowledged")
    h.settle()
    before = (h.db_pages(1), h.audit_actions(1), h.count_rows(AuditRow.__table__))

    outcome = h.runtime.escalation.page_undeliverable(page, "user_not_found")
    assert not outcome.changed
    h.settle()
    assert (h.db_pages(1), h.audit_actions(1), h.count_rows(AuditRow.__table__)) == before
    assert notices_to(h, MANAGERS[0]) == []
