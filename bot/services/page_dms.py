"""One page DM per person per request.

A request pages the same person more than once: a wider step after a narrower one, the
next round, a handover or a shift handoff back to someone paged before. Each page is
its own row (the escalation counts pages per step), but the person keeps one message:
the new page takes over the DM their earlier page went out in, which is re-rendered in
place for it, with a short ping in its thread (one `PAGE_AGAIN` outbox row, sent with
the pages). A page whose DM has not gone out yet is left alone: the new one is posted.
"""

from __future__ import annotations

from bot.core import contacts, refusals
from bot.core.messages import PAGE, PAGE_AGAIN
from bot.core.model import Team
from bot.store.paging_writes import RequestWrites


def _page_dms(pages: list) -> dict:
    """Each person's latest page of this request whose DM went out and may be reused:
    not one they declined, nor one Slack refused."""
    found = {}
    for p in sorted(pages, key=lambda p: p.id):
        if p.dm_ts and p.state not in ("declined", refusals.UNDELIVERABLE):
            found[p.user] = p
    return found


def add_pages(w: RequestWrites, specs: list[dict], pages: list,
              notes: dict[str, dict] | None = None) -> list[tuple]:
    """Write pages ({user, round, step, source, needs_translation}) and what delivers
    them; (page, paged again) for each. `pages`: the request's pages so far. One
    message per person per request: someone whose page DM for it went out already (a
    wider step, a later round, a handover) gets that DM updated in place and a short
    ping (PAGE_AGAIN), not a second page. `notes`: per person, the payload their page's
    message carries (`over_limit`: paged past their exposure limit)."""
    notes = notes or {}
    dms = _page_dms(pages) if specs else {}
    # Paged past the exposure limit: kept on the page, so its DM says so as long as it
    # shows (updates included).
    specs = [{**p, "over_limit": notes[p["user"]]["over_limit"]}
             if (notes.get(p["user"]) or {}).get("over_limit") else p for p in specs]
    written = w.add_pages([{**p, "dm_channel": dms[p["user"]].dm_channel,
                            "dm_ts": dms[p["user"]].dm_ts} if p["user"] in dms else p
                           for p in specs])
    for page in written:
        earlier = dms.get(page.user)
        if earlier is None:
            w.outbox(PAGE, page.user, notes.get(page.user), page_id=page.id)
            continue
        if earlier.state == "pending":  # the new page takes over its DM and buttons
            earlier.state, earlier.answered_utc = "closed", w.now
        # The DM is the new page's now: updates of the earlier one change nothing.
        earlier.dm_channel = earlier.dm_ts = None
        w.outbox(PAGE_AGAIN, page.user, notes.get(page.user), page_id=page.id)
    return [(page, page.user in dms) for page in written]


def reach_outside_slack(w: RequestWrites, team: Team | None, written: list[tuple],
                        via: list[str] | tuple[str, ...]) -> list[tuple[str, str]]:
    """Beside each page DM, one SMS, call or email row per channel of the step's `via`
    (the frozen policy's) that reaches the person: kind = the channel, target = their
    number or address, with the page, in the same transaction. Someone without a number
    or address gets the Slack page only (the schedule warned of it). Returns (user,
    channel) for each row written."""
    out = []
    if team is None:
        return out
    for page, _ in written:
        for channel in via:
            target = contacts.reachable(team, page.user, channel)
            if channel != "slack" and target:
                w.outbox(channel, target, {}, page_id=page.id)
                out.append((page.user, channel))
    return out
