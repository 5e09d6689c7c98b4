"""The pure part of `ack_timeout`: what a reminder or re-open deadline does given the
request as it is now, and the words people read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.core import ack_timeout as at

ACK = datetime(2026, 3, 10, 14, 35, tzinfo=UTC)
HELD = at.Watched("acknowledged", "U1", ACK, token=4)


def test_a_deadline_acts_only_while_the_same_acknowledgement_stands():
    assert at.action(at.REMIND, 4, HELD) == at.REMIND
    assert at.action(at.REOPEN, 4, HELD) == at.REOPEN
    assert at.action(at.REMIND, 3, HELD) == at.NOTHING  # snoozed, handed over, re-routed
    for status in ("open", "resolved", "received"):
        gone = at.Watched(status, None, None, 4)
        assert at.action(at.REOPEN, 4, gone) == at.NOTHING
    assert at.action("deadline", 4, HELD) == at.NOTHING  # not one of ours


def test_when_things_fall():
    assert at.first_reminder(ACK, None) is None
    assert at.first_reminder(ACK, timedelta(minutes=30)) == ACK + timedelta(minutes=30)
    # A reminder that fired late still leaves a whole timeout before the re-open.
    late = ACK + timedelta(minutes=50)
    assert at.reopen_at(late, timedelta(minutes=30)) == late + timedelta(minutes=30)
    assert max(len(r) for r in at.REASONS) <= 16  # DeadlineRow.reason is a 16-char code


def test_words():
    now = ACK + timedelta(minutes=30)
    assert at.reminder_text("T-12", HELD, now) == (
        "T-12 is still open and yours (acknowledged 30 min ago). Resolve it, or snooze "
        "for 30 min if you are still working on it.")
    assert at.reopened_line(HELD, ACK + timedelta(minutes=125)).startswith(
        "Re-opened: acknowledged by {@U1} 2 h 5 min ago and not resolved")
    assert at.snoozed_line("U1", HELD) == (
        "{@U1} snoozed the reminder: the next one comes in 30 min")
    assert "for {@U1}" in at.snoozed_line("M1", HELD)


def test_the_reopen_note_goes_once_someone_has_it_again():
    line = at.reopened_line(HELD, ACK + timedelta(minutes=60))
    assert at.without_reopen(line) is None
    assert at.without_reopen(line + "; every Arabic reader is busy") is None
    assert at.without_reopen("every Arabic reader on call is busy") == (
        "every Arabic reader on call is busy")
    assert at.without_reopen(None) is None
