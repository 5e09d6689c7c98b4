"""End to end, the App Home tab and calendar feeds (flow 7): `app_home_opened` events and
`/oncall export` as Slack sends them to /slack/events of the running app; feed URLs
fetched over HTTP from the same server, as Google Calendar or Outlook would.

Team: schedules/example/safety-escalations.yaml. At Wed 2026-07-01 12:00 UTC Omar (U0EU00009,
Africa/Cairo) is the only Arabic reader on call (emea-ar-fr, 06:00-14:00 UTC every day
through Mon 07-06); at 2026-03-10 the ar/fr queue has its daily 22:00-23:00 UTC gap.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import icalendar
import pytest

from bot.slack import ids
from bot.store.paging_tables import AuditRow
from bot.store.shift_tables import CalendarFeedRow
from tests.slack_harness import ToolHarness, blocks_text, has_action, page_id_of, utc

MGR = "U0MGR0001"
OMAR, YASMINE, KARIM, STRANGER = "U0EU00009", "U0EU00008", "U0AM00011", "U0STRANGE1"
ARABIC = "lang:ar بث مباشر لشخص يهدد بالانتحار الآن"
URL = re.compile(r"http://127\.0\.0\.1:\d+/calendar/[A-Za-z0-9_-]+\.ics")


def oncall(h: ToolHarness, text: str, user: str = MGR) -> str:
    r = h.command("/oncall", text, user=user)
    assert r.status == 200, r.text
    return r.json()["text"]


# -- App Home ------------------------------------------------------------------------------


def open_home(h: ToolHarness, user: str, event_id: str) -> dict:
    before = len(h.standin.calls_to("views.publish"))
    r = h.event({"type": "app_home_opened", "user": user, "channel": f"D{user}",
                 "tab": "home", "event_ts": "1782907200.000100"}, event_id)
    assert r.status == 200, r.text
    [call] = h.standin.wait_for_calls("views.publish", count=before + 1)[before:]
    assert call.ok and call.params["user_id"] == user
    view = h.standin.home_view(user)
    assert view["type"] == "home"
    return view


def wait_page(h: ToolHarness, user: str, count: int) -> str:
    h.standin.wait_for(lambda c: c.method == "chat.postMessage" and c.ok
                       and c.params.get("channel") == user
                       and has_action(c.params.get("blocks"), ids.ACK),
                       count=count, description=f"{count} page(s) to {user}")
    return page_id_of(h.page_posts(user)[-1].params)


def test_app_home_shows_status_shifts_requests_and_coverage(tmp_path):
    h = ToolHarness(tmp_path, utc(2026, 7, 1, 12, 0))
    try:
        assert h.command("/emergency", "sev2 " + ARABIC).status == 200
        first = wait_page(h, OMAR, 1)
        assert h.command("/emergency", "sev3 " + ARABIC + " 2").status == 200
        wait_page(h, OMAR, 2)
        h.click(ids.ACK, first, OMAR)
        h.wait_posted("U0REQ0001", "acknowledged")
        h.settle()

        view = open_home(h, OMAR, "Ev0HOME0001")
        shown = blocks_text(view)
        # On call now, and until when (his zone: 14:00 UTC is 17:00 in Cairo).
        assert ":large_green_circle: *You're on call now* for *emea-ar-fr*, until " \
               "*17:00 EEST today*." in shown
        assert "Hand-off <!date^1782914400^" in shown
        assert "Your time zone in the roster: Africa/Cairo" in shown
        # Next shifts: the rest of his week, then his next week.
        assert "*Your next shifts* (next 14 days, Africa/Cairo time)" in shown
        assert "Thu 2 Jul" in shown and "Mon 6 Jul" in shown and "Tue 14 Jul" in shown
        # What needs him now (issue 10), first: the page still waiting for him, with its
        # buttons, then the request he has.
        assert "*What needs you now* (2)" in shown
        actions = [b for b in view["blocks"] if b["type"] == "actions"
                   and b.get("block_id") != "home_break"]  # Take a break: test_e2e_breaks
        second = page_id_of(h.page_posts(OMAR)[-1].params)
        assert [b["block_id"] for b in actions] == [f"{ids.HOME_PAGE_BLOCK}:{second}",
                                                    f"{ids.HOME_REQUEST_BLOCK}:1"]
        assert [(e["action_id"], e["value"]) for e in actions[0]["elements"]] == [
            (ids.ACK, second), (ids.DECLINE, second)]
        assert [(e["action_id"], e["value"]) for e in actions[1]["elements"]] == [
            (ids.RESOLVE, "1"), (ids.HANDOVER, "1")]
        assert shown.index("What needs you now") < shown.index("You're on call now")
        # Who covers each language now.
        assert "*Who's on call now*, by language" in shown
        assert f"• *Arabic*: <@{OMAR}> (emea-ar-fr)" in shown
        assert "• *Spanish*: <@U0EU00005> (emea-es-pt)" in shown
        assert "Coverage gaps" not in shown  # not a manager

        # The Home tab's Resolve button works like the one on the page.
        h.click(ids.RESOLVE, "1", OMAR)
        [opened] = h.wait_view_opened(ids.RESOLVE_MODAL)
        assert opened.params["view"]["private_metadata"] == "1"

        # A retried event (same event_id) is not published again; a new one is, for
        # that user alone.
        h.event({"type": "app_home_opened", "user": OMAR, "tab": "home"}, "Ev0HOME0001")
        stranger = blocks_text(open_home(h, STRANGER, "Ev0HOME0002"))
        assert "You're not on the *safety-escalations* on-call team" in stranger
        assert [c.params["user_id"] for c in h.standin.calls_to("views.publish")] == [
            OMAR, STRANGER]
    finally:
        h.quiet_close()


def test_app_home_of_a_manager_lists_the_coverage_gaps(tmp_path):
    h = ToolHarness(tmp_path, utc(2026, 3, 10, 14, 5))
    try:
        shown = blocks_text(open_home(h, MGR, "Ev0HOME0003"))
        assert "You manage *safety-escalations*" in shown
        assert "*Coverage gaps, next 14 days* (times in UTC)" in shown
        assert "*Arabic* (ar)" in shown and "*French* (fr)" in shown
        assert "daily 22:00-23:00 UTC, 10-23 Mar" in shown
        assert "*Spanish*" not in shown.split("Coverage gaps")[1].split("Covered")[0]
        assert "You can edit this team's rotations" in shown
        # Both Arabic readers on call in the overlap hour, primary and Arabic first.
        assert f"• *Arabic*: <@{KARIM}> (amer-ar-fr), <@{OMAR}> (emea-ar-fr)" in shown
        # A specialist of the team who is no manager sees no gaps.
        assert "Coverage gaps" not in blocks_text(open_home(h, YASMINE, "Ev0HOME0004"))
    finally:
        h.quiet_close()


# -- calendar feeds -------------------------------------------------------------------------


@pytest.fixture
def feeds(tmp_path):
    h = ToolHarness(tmp_path, utc(2026, 7, 1, 12, 0), public_url=True)
    yield h
    h.quiet_close()


def export(h: ToolHarness, text: str = "", user: str = OMAR) -> str:
    reply = oncall(h, f"export {text}".strip(), user=user)
    [url] = URL.findall(reply)
    assert url.startswith(h.settings.public_url + "/calendar/")
    assert "keep it secret" in reply and "Google Calendar" in reply
    return url


def events(h: ToolHarness, url: str) -> list:
    r = h.get(url)
    assert r.status == 200, r.text
    assert r.headers["Content-Type"].startswith("text/calendar")
    cal = icalendar.Calendar.from_ical(r.body)
    return list(cal.walk("VEVENT"))


def starts(evs: list, user: str | None = None) -> dict[datetime, str]:
    """DTSTART (UTC) -> the on-call user, of events (of `user` if given)."""
    out = {}
    for ev in evs:
        who = str(ev.get("x-oncall-user"))
        if user is None or who == user:
            out[ev.decoded("dtstart").astimezone(UTC)] = who
    return out


def test_export_feed_is_icalendar_of_that_person_and_follows_overrides(feeds):
    url = export(feeds)
    evs = events(feeds, url)
    assert evs and {str(ev.get("x-oncall-user")) for ev in evs} == {OMAR}
    assert all("emea-ar-fr" in str(ev.get("summary")) for ev in evs)
    assert str(evs[0].get("summary")).startswith("On call: Omar Farouk - emea-ar-fr (primary)")
    thu = utc(2026, 7, 2, 6)
    assert thu in starts(evs)
    assert starts(evs)[thu] == OMAR
    assert utc(2026, 7, 7, 6) not in starts(evs)  # Yasmine's week
    whole = export(feeds, "emea-ar-fr", user=MGR)  # the rotation's feed (a manager's)
    assert starts(events(feeds, whole))[utc(2026, 7, 7, 6)] == YASMINE

    text = oncall(feeds, f"override emea-ar-fr <@{YASMINE}|yasmine> 2026-07-02T07:00 "
                         "2026-07-02T15:00")
    assert text.startswith("Done:")
    assert thu not in starts(events(feeds, url))  # Omar's feed no longer has it
    [ev] = [e for e in events(feeds, whole) if e.decoded("dtstart") == thu]
    assert str(ev.get("x-oncall-user")) == YASMINE
    assert "[override]" in str(ev.get("summary"))
    assert utc(2026, 7, 3, 6) in starts(events(feeds, url))  # his other days are kept


def test_reissuing_revokes_the_old_url_and_unknown_tokens_reveal_nothing(feeds):
    old = export(feeds)
    assert feeds.get(old).status == 200
    new = export(feeds)
    assert new != old
    gone = feeds.get(old)
    assert (gone.status, gone.body) == (404, b"Not Found")
    assert feeds.get(new).status == 200

    for path in ("/calendar/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.ics", "/calendar/nope.ics",
                 "/calendar/", "/calendar/../healthz"):
        r = feeds.get(path)
        assert (r.status, r.body) == (404, b"Not Found"), path
        assert r.headers["Content-Type"] == "text/plain"
    # One person's re-issue does not touch another's feed.
    other = export(feeds, f"<@{YASMINE}|yasmine>", user=MGR)
    export(feeds)
    assert feeds.get(other).status == 200


def test_export_refusals(feeds, tmp_path):
    refused = oncall(feeds, f"export <@{YASMINE}|yasmine>", user=OMAR)
    assert refused.startswith(":warning: only managers")
    assert f"<@{MGR}>" in refused
    assert "no rotation named 'emea'" in oncall(feeds, "export emea", user=OMAR)
    assert "not a specialist" in oncall(feeds, "export", user=STRANGER)
    assert URL.search(oncall(feeds, "export", user=OMAR))

    # Without a public URL there are no feeds, and the reply says what to set.
    (tmp_path / "plain").mkdir()
    plain = ToolHarness(tmp_path / "plain", utc(2026, 7, 1, 12, 0))
    try:
        assert oncall(plain, "export", user=OMAR) == (
            ":warning: calendar feeds need ONCALL_PUBLIC_URL (the bot's public URL)")
    finally:
        plain.quiet_close()


def test_only_managers_export_a_rotation_and_a_refusal_changes_nothing(feeds):
    """Exporting a rotation's feed revokes the link everyone subscribed to: a specialist
    who is no manager, or someone outside the team, is refused and told what they can
    do instead; the manager's link keeps working."""
    managers = export(feeds, "emea-ar-fr", user=MGR)
    assert feeds.get(managers).status == 200
    before = (feeds.count_rows(CalendarFeedRow), feeds.count_rows(AuditRow))

    for user in (OMAR, STRANGER):
        refused = oncall(feeds, "export emea-ar-fr", user=user)
        assert refused.startswith(f":warning: only managers (<@{MGR}>, <@U0MGR0002> or "
                                  "members of <!subteam^S0MGRGRP1>) can export a "
                                  "rotation's calendar"), refused
        assert refused.endswith("You can export your own with `/oncall export`.")
        assert not URL.search(refused)
    assert (feeds.count_rows(CalendarFeedRow), feeds.count_rows(AuditRow)) == before
    assert starts(events(feeds, managers))[utc(2026, 7, 7, 6)] == YASMINE

    # What the refusal suggests works: Omar's own feed, beside the rotation's.
    own = export(feeds, user=OMAR)
    assert set(starts(events(feeds, own)).values()) == {OMAR}
    assert feeds.get(managers).status == 200
    # A manager's new rotation export replaces the old link, as before.
    again = export(feeds, "emea-ar-fr", user=MGR)
    assert feeds.get(managers).status == 404 and feeds.get(again).status == 200
