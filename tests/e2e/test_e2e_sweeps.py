"""End to end, sweeps (PRODUCT.md "Crisis mode, sweeps, trends, reports"): signed requests
to the running app, the Web API answered by the Slack stand-in, a manual clock (`advance`
runs one reconciler pass, as the worker would; nothing sleeps for a deadline).

Team: tests/fixtures/teams/category-desk.yaml (en, ar, fr; manager U0MGR0001). Arabic
readers on shift all day: Amal, Basma, Chadi, Dina (by name, the tie order); Dina is
the only French reader on shift. Requests default to sev2 there, so a crisis at sev1
shows.
"""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.services.sweeps import SweepService
from bot.slack import ids
from bot.store.crisis_tables import CrisisRequestRow
from bot.store.db import make_engine, session_factory
from bot.store.paging_tables import OutboxRow
from bot.store.sweep_tables import SweepRow, SweepTurnRow
from tests.fixtures_crisis import MANAGER, START, crises, oncall, wait_for
from tests.slack_harness import (
    ToolHarness,
    emergency_values,
    has_action,
)

AMAL, BASMA, CHADI, DINA = (f"U0CD0000{i}" for i in range(1, 5))
HALF, FULL = 15 * 60, 30 * 60


def turns(h: ToolHarness) -> list[SweepTurnRow]:
    with h.runtime.sessions() as session:
        return list(session.scalars(select(SweepTurnRow).order_by(SweepTurnRow.id)))


def sweeps(h: ToolHarness) -> list[SweepRow]:
    with h.runtime.sessions() as session:
        return list(session.scalars(select(SweepRow).order_by(SweepRow.id)))


def sweep_dms(h: ToolHarness, user: str, words: str = "Your turn to sweep") -> list[dict]:
    """The sweep DMs (with their buttons) `user` holds now, oldest first."""
    return [m for m in h.dms(user) if has_action(m.get("blocks"), ids.SWEEP_NOTHING)
            and words in (m.get("text") or "")]


def texts_to(h: ToolHarness, target: str, words: str) -> list[str]:
    return [m.get("text") or "" for m in h.standin.messages_to(target)
            if words in (m.get("text") or "")]


def who_got_turns(h: ToolHarness) -> list[str | None]:
    return [t.user for t in turns(h)]


def value_of(dm: dict) -> str:
    return dm["blocks"][-1]["elements"][0]["value"]


def test_a_sweep_rotates_fewest_first_and_skips_someone_on_a_break(crisis_desk):
    said = oncall(crisis_desk, "pause 2h", CHADI)  # Chadi on a break until 14:00
    assert "break" in said, said
    said = oncall(crisis_desk, "sweep start ar every=30m")
    assert "Sweeps started" in said and "Arabic" in said and "30 min" in said, said
    crisis_desk.advance(1)  # 12:00: the first turn at once
    for _ in range(4):  # 12:30, 13:00, 13:30, 14:00
        crisis_desk.advance(FULL)
    # Amal, Basma (0 each, by name), Dina (Chadi is on a break), Amal (all at 1 but
    # Chadi, still on a break), then Chadi (back, none yet).
    assert who_got_turns(crisis_desk) == [AMAL, BASMA, DINA, AMAL, CHADI]
    [first] = sweep_dms(crisis_desk, BASMA)
    assert "Your turn to sweep Arabic" in first["text"] and "your time (Asia/Amman)" in \
        first["text"], first["text"]
    assert [t.start_utc for t in turns(crisis_desk)] == [START + timedelta(minutes=30 * i)
                                                  for i in range(5)]
    assert len(sweep_dms(crisis_desk, AMAL)) == 2 and len(sweep_dms(crisis_desk, CHADI)) == 1


def test_nothing_found_is_recorded_and_replaces_the_buttons(crisis_desk):
    oncall(crisis_desk, "sweep start ar")
    crisis_desk.advance(1)
    [dm] = sweep_dms(crisis_desk, AMAL)
    answers = crisis_desk.capture_responses()
    assert crisis_desk.click(ids.SWEEP_NOTHING, value_of(dm), AMAL, channel=AMAL,
                      message_ts=dm["ts"]).status == 200
    said = crisis_desk.wait_response("nothing found")
    assert said["replace_original"] is True and "Arabic sweep" in said["text"]
    [turn] = turns(crisis_desk)
    assert (turn.answer, turn.answered_utc, turn.dm_ts) == ("nothing", crisis_desk.clock.now(),
                                                           dm["ts"])
    # Someone else cannot answer it; the answered turn is neither nudged nor reported.
    assert crisis_desk.click(ids.SWEEP_NOTHING, value_of(dm), BASMA).status == 200
    wait_for(lambda: any("not yours" in (a.get("text") or "") for a in answers), "refusal")
    crisis_desk.advance(HALF)
    crisis_desk.advance(HALF)
    assert sweep_dms(crisis_desk, AMAL, "Reminder") == []
    assert texts_to(crisis_desk, MANAGER, "Missed") == []


def test_found_something_files_a_request_linked_to_the_running_crisis(crisis_desk):
    oncall(crisis_desk, "crisis start beirut-port languages=ar severity=sev1 match=port")
    crisis_desk.advance(1)
    [crisis_row] = wait_for(lambda: [c for c in crises(crisis_desk) if c.card_ts], "the card")
    oncall(crisis_desk, "sweep start ar every=1h")
    crisis_desk.advance(1)
    [dm] = sweep_dms(crisis_desk, AMAL)
    assert "crisis *beirut-port* (words: port)" in dm["text"], dm["text"]
    assert crisis_desk.click(ids.SWEEP_FOUND, value_of(dm), AMAL, channel=AMAL,
                      message_ts=dm["ts"]).status == 200
    [opened] = crisis_desk.wait_view_opened(ids.SWEEP_FOUND_MODAL)
    view = opened.params["view"]
    shown = json.dumps(view, ensure_ascii=False)
    assert "joins the crisis *beirut-port*" in shown and ids.LANGUAGE_BLOCK not in shown
    # No match word in the text: what a sweep finds joins its language's crisis anyway.
    text = "بث مباشر يهدد العمال الآن"
    r = crisis_desk.submit_view(ids.SWEEP_FOUND_MODAL, emergency_values(text, severity="sev2"),
                         AMAL, private_metadata=view["private_metadata"])
    assert r.status == 200, r.text
    crisis_desk.settle()
    [request] = crisis_desk.requests()
    assert (request.language, request.severity, request.requester, request.via) == (
        "ar", "sev1", AMAL, "sweep")
    with crisis_desk.runtime.sessions() as session:
        assert session.scalars(select(CrisisRequestRow.request_id).where(
            CrisisRequestRow.crisis_id == crisis_row.id)).all() == [request.id]
    [turn] = turns(crisis_desk)
    assert (turn.answer, turn.request_id) == ("found", request.id)
    crisis_desk.wait_updated(dm["ts"], "found something")
    # The same submission again (Slack retries) files nothing more.
    crisis_desk.submit_view(ids.SWEEP_FOUND_MODAL, emergency_values(text), AMAL,
                     private_metadata=view["private_metadata"])
    crisis_desk.settle()
    assert len(crisis_desk.requests()) == 1
    status = oncall(crisis_desk, "crisis status", AMAL)
    assert "Sweeps in Arabic: 1 done, 0 missed" in status, status


def test_a_missed_sweep_is_nudged_once_then_reported_once_across_restarts(crisis_desk):
    oncall(crisis_desk, "sweep start ar every=30m")
    crisis_desk.advance(1)
    [dm] = sweep_dms(crisis_desk, AMAL)
    crisis_desk.advance(HALF - 2)
    assert sweep_dms(crisis_desk, AMAL, "Reminder") == []
    crisis_desk.advance(1)  # half the interval: one nudge, with the answers
    [nudge] = sweep_dms(crisis_desk, AMAL, "Reminder")
    assert "Arabic sweep is still open" in nudge["text"]
    crisis_desk.restart()
    crisis_desk.advance(60)
    SweepService(crisis_desk.runtime.sessions, crisis_desk.runtime.rosters, crisis_desk.clock).run()
    crisis_desk.settle()
    assert len(sweep_dms(crisis_desk, AMAL, "Reminder")) == 1
    crisis_desk.advance(HALF - 60)  # the full interval: reported to the managers, once
    [report] = texts_to(crisis_desk, MANAGER, "Missed sweep")
    assert f"<@{AMAL}>" in report and "Arabic" in report, report
    crisis_desk.restart()
    crisis_desk.advance(1)
    SweepService(crisis_desk.runtime.sessions, crisis_desk.runtime.rosters, crisis_desk.clock).run()
    crisis_desk.settle()
    assert len(texts_to(crisis_desk, MANAGER, "Missed sweep")) == 1
    assert len(sweep_dms(crisis_desk, AMAL, "Reminder")) == 1
    # Restarts took no turn twice: Amal at 12:00, Basma at 12:30, one DM each.
    assert who_got_turns(crisis_desk) == [AMAL, BASMA]
    assert len(sweep_dms(crisis_desk, AMAL)) == 1 and len(sweep_dms(crisis_desk, BASMA)) == 1
    assert oncall(crisis_desk, "sweep status", AMAL).count("0 done, 1 missed") == 1


def test_with_a_crisis_the_missed_sweep_goes_to_its_channel(crisis_desk):
    oncall(crisis_desk, "crisis start flood languages=ar")
    crisis_desk.advance(1)
    [crisis] = wait_for(lambda: [c for c in crises(crisis_desk) if c.channel and c.card_ts], "card")
    oncall(crisis_desk, "sweep start ar every=10m")
    crisis_desk.advance(1)
    crisis_desk.advance(10 * 60)
    [report] = texts_to(crisis_desk, crisis.channel, "Missed sweep")
    assert f"<@{AMAL}>" in report
    assert texts_to(crisis_desk, MANAGER, "Missed sweep") == []
    crisis_desk.advance(3 * 60)  # the card is refreshed with the sweeps line
    card = wait_for(lambda: [m["text"] for m in crisis_desk.standin.messages_to(crisis.channel)
                             if m["ts"] == crisis.card_ts and "Sweeps in Arabic" in m["text"]],
                    "the card's sweeps line")
    assert "Sweeps in Arabic: 0 done, 1 missed" in card[0]


def test_nobody_free_to_sweep_is_recorded_as_missed_and_reported(crisis_desk):
    said = oncall(crisis_desk, f"away <@{DINA}> 2026-07-01T11:00 2026-07-01T18:00")
    assert "away" in said.lower(), said
    oncall(crisis_desk, "sweep start fr")
    crisis_desk.advance(1)
    [turn] = turns(crisis_desk)
    assert (turn.user, turn.reported_utc) == (None, crisis_desk.clock.now())
    [report] = texts_to(crisis_desk, MANAGER, "Nobody could take the French sweep")
    assert "/oncall who fr" in report


def test_bad_input_changes_nothing(crisis_desk):
    cases = [
        ("sweep start ar", AMAL, "only managers"),
        ("sweep start de", MANAGER, "does not serve de"),
        ("sweep start ar every=1m", MANAGER, "at most every 5 minutes"),
        ("sweep start ar every=soon", MANAGER, "not a length of time"),
        ("sweep start ar until=2026-07-01T09:00", MANAGER, "has passed"),
        ("sweep start ar until=never", MANAGER, "neither a time nor a length"),
        ("sweep start", MANAGER, "Missing the language"),
        ("sweep stop", MANAGER, "no sweep is running"),
        ("sweep stop ar", AMAL, "only managers"),
    ]
    for text, user, words in cases:
        said = oncall(crisis_desk, text, user)
        assert words in said and "/oncall sweep" in said, (text, said)
    assert sweeps(crisis_desk) == []
    oncall(crisis_desk, "sweep start ar every=30m")
    said = oncall(crisis_desk, "sweep start ar every=10m")
    assert "already running" in said and "/oncall sweep stop ar" in said, said
    [only] = sweeps(crisis_desk)
    assert only.every_s == 1800
    said = oncall(crisis_desk, "sweep start all")  # the others start; Arabic is said to run
    assert "English, French" in said and "already running" in said, said
    assert sorted(s.language for s in sweeps(crisis_desk)) == ["ar", "en", "fr"]


def test_sweep_stop_stops_further_turns_and_the_open_one(crisis_desk):
    oncall(crisis_desk, "sweep start all every=30m until=2h")
    crisis_desk.advance(1)
    assert len(turns(crisis_desk)) == 3
    said = oncall(crisis_desk, "sweep stop ar")
    assert "Sweeps stopped" in said and "Arabic" in said, said
    crisis_desk.advance(HALF)
    crisis_desk.advance(HALF)  # English and French go on; Arabic gets no turn, nudge or report
    ar = [t for t in turns(crisis_desk) if t.language == "ar"]
    assert len(ar) == 1 and ar[0].cancelled_utc is not None
    # Three people, one language each (someone already sweeping goes last).
    assert len({t.user for t in turns(crisis_desk)[:3]}) == 3
    assert sweep_dms(crisis_desk, ar[0].user, "your Arabic sweep") == []
    assert len(sweep_dms(crisis_desk, ar[0].user, "sweep Arabic")) == 1
    assert not any("Arabic" in t for t in texts_to(crisis_desk, MANAGER, "Missed sweep"))
    assert sorted(t.language for t in turns(crisis_desk)) == ["ar", "en", "en", "fr", "fr"]
    for _ in range(4):  # until=2h: the turns at 12:00, 12:30, 13:00, 13:30, then over
        crisis_desk.advance(FULL)
    assert sorted(t.language for t in turns(crisis_desk)).count("en") == 4
    assert all(s.stopped_utc is not None for s in sweeps(crisis_desk))


@pytest.mark.parametrize("workers", [2])
def test_two_workers_claim_each_turn_and_step_once(crisis_desk, db_url, workers):
    """Two background passes at once, on their own engines (two worker processes), over
    every deadline of three sweeps: each turn, nudge and report exactly once."""
    oncall(crisis_desk, "sweep start all every=10m")
    engines = [make_engine(db_url) for _ in range(workers)]
    services = [SweepService(session_factory(e, immediate=True), crisis_desk.runtime.rosters,
                             crisis_desk.clock) for e in engines]
    try:
        errors: list[BaseException] = []

        def run(service: SweepService, gate: threading.Barrier) -> None:
            try:
                gate.wait()
                service.run()
            except BaseException as err:  # noqa: BLE001 - reported below
                errors.append(err)

        for _ in range(12):  # two hours in 5-minute steps
            gate = threading.Barrier(workers)
            threads = [threading.Thread(target=run, args=(s, gate)) for s in services]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert errors == []
            crisis_desk.clock.advance(5 * 60)
    finally:
        for e in engines:
            e.dispose()
    all_turns = turns(crisis_desk)
    assert len(all_turns) == 3 * 12 // 2  # one per sweep every 10 minutes
    assert len({(t.sweep_id, t.start_utc) for t in all_turns}) == len(all_turns)
    with crisis_desk.runtime.sessions() as session:
        dms = session.scalar(select(func.count()).select_from(OutboxRow).where(
            OutboxRow.payload.is_not(None), OutboxRow.target != MANAGER))
    nudged = sum(t.nudged_utc is not None for t in all_turns)
    given = sum(t.user is not None for t in all_turns)
    assert dms == given + nudged  # each turn's DM once, each nudge once
    reported = sum(t.reported_utc is not None for t in all_turns)
    with crisis_desk.runtime.sessions() as session:
        reports = session.scalar(select(func.count()).select_from(OutboxRow).where(
            OutboxRow.target == MANAGER))
    assert reports == reported > 0


def test_a_filing_whose_found_was_not_recorded_is_recorded_before_any_nudge(crisis_desk):
    """The process died between filing from the form and recording the turn: the next
    pass finds the request by its key and records the turn as found, unnudged."""
    from bot.services.intake import Intake

    oncall(crisis_desk, "sweep start ar")
    crisis_desk.advance(1)
    [turn] = turns(crisis_desk)
    filed = crisis_desk.runtime.intake.file(Intake(
        key=f"sweep:{turn.id}:V0CRASHED", requester=AMAL, text="بث مباشر يهدد العمال الآن",
        via="sweep", language="ar", team="category-desk"))
    crisis_desk.advance(HALF)
    [turn] = turns(crisis_desk)
    assert (turn.answer, turn.request_id, turn.nudged_utc) == ("found", filed.request.id, None)
    assert sweep_dms(crisis_desk, AMAL, "Reminder") == []
