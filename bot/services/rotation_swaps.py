"""Swap and cover requests: asked, recorded, then accepted or declined.

A request changes nothing but leaves an audit row; that row's id is the proposal id,
and the row is what accepting trusts (the JSON a button carries is only checked
against it), so no extra table is needed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.core import edits, refs, timezones
from bot.core.checks import format_span
from bot.core.roster import Roster
from bot.services.errors import NotFound, ServiceError
from bot.services.rotation_edit import (
    DM_PRIORITY,
    EditContext,
    EditPlan,
    EditResult,
    PermissionDenied,
    RotationBase,
)
from bot.services.rotation_shifts import (
    SWAP_LOOKAHEAD,
    Shift,
    need_specialist,
    next_shifts_text,
    next_stint,
    on_call_throughout,
    resolve_span,
    shift_text,
    stints,
    stints_starting_on,
    swap_team,
)
from bot.store import team_audit
from bot.store.direct_messages import queue_direct

MAX_COVER_PIECES = 14


@dataclass(frozen=True)
class Proposal:
    """A swap or cover request. `give`: the requester's shifts the other person takes;
    `take` (swaps): the other person's shifts the requester takes in return."""

    id: int  # the audit row that recorded the request
    kind: str  # swap | cover
    team: str
    requester: str
    other: str | None  # swap: the person asked; cover: None (anyone may accept)
    give: tuple[Shift, ...]
    take: tuple[Shift, ...] = ()
    text: str = ""  # human summary for the DM / channel post

    def to_json(self) -> dict[str, Any]:
        return {"v": 1, "id": self.id, "k": self.kind, "t": self.team, "r": self.requester,
                "o": self.other, "g": [s.to_list() for s in self.give],
                "tk": [s.to_list() for s in self.take]}

    def to_value(self) -> str:
        """Compact JSON for a Slack button value (under 2,000 characters)."""
        return json.dumps(self.to_json(), separators=(",", ":"))

    @classmethod
    def from_json(cls, d: dict[str, Any], text: str = "") -> Proposal:
        return cls(int(d["id"]), d["k"], d["t"], d["r"], d.get("o"),
                   tuple(Shift.from_list(s) for s in d["g"]),
                   tuple(Shift.from_list(s) for s in d.get("tk") or ()), text)

    @classmethod
    def from_value(cls, value: str) -> Proposal:
        try:
            return cls.from_json(json.loads(value))
        except (ValueError, KeyError, TypeError, IndexError):
            raise ServiceError("this request is not one the bot recognises; ask again") from None

    @property
    def details(self) -> str:
        """The summary without who asked whom: '{@B} takes ...; {@A} takes ...'."""
        return self.text.split(": ", 1)[-1]

    def same_request(self, other: Proposal) -> bool:
        return self.to_json() == other.to_json()


class RotationSwaps(RotationBase):
    """Swap and cover requests and their answers."""

    # -- swaps ---------------------------------------------------------------------------

    def request_swap(self, actor: str, other_user: str, day: date, *,
                     team: str | None = None) -> Proposal:
        """Propose to trade the actor's shift starting on `day` (their calendar) for
        `other_user`'s shift starting that day (their calendar), or, if they have none
        that day, their next shift in the same rotation. Nothing changes yet: the
        request is audited and returned for the other person to accept or decline."""
        name = self.team_name(team, actor)
        now = timezones.utc(self.clock.now())
        with self.sessions() as session, session.begin():
            t = self.load_team(session, name)[1]
            me, other = need_specialist(t, actor, "you"), need_specialist(t, other_user)
            if actor == other_user:
                raise ServiceError(f"swap with someone else; e.g. {edits.EXAMPLES['swap']}")
            roster = Roster(t, self.holiday_dates)
            give = stints_starting_on(roster, actor, day, me.timezone)
            if not give:
                raise ServiceError(
                    f"you have no shift starting on {day} ({me.timezone}); your next shifts: "
                    f"{next_shifts_text(roster, actor, now, me.timezone)}; "
                    f"e.g. {edits.EXAMPLES['swap']}")
            give = give[:1]
            if give[0].start <= now:
                raise ServiceError("that shift has already started; ask a manager for an "
                                   "override instead")
            take = stints_starting_on(roster, other_user, day, other.timezone)[:1]
            if not take:
                take = next_stint(roster, other_user, give[0], now)
            if not take:
                raise ServiceError(
                    f"{refs.person(other_user)} has no shift on {day} and none coming up in "
                    f"{give[0].rotation} in the next {SWAP_LOOKAHEAD.days} days to trade; "
                    f"ask for cover instead with {edits.EXAMPLES['cover']}")
            if take[0].start <= now:
                raise ServiceError(f"{refs.person(other_user)}'s shift that day has already "
                                   "started; pick another day")
            after = swap_team(t, give[0], take[0])
            self.guard_coverage(roster, Roster(after, self.holiday_dates), now,
                                max(give[0].end, take[0].end), "this swap", me.timezone, t)
            text = (f"{refs.person(actor)} asks {refs.person(other_user)} to swap: "
                    f"{refs.person(other_user)} takes "
                    f"{shift_text(give[0], other.timezone)}; {refs.person(actor)} takes "
                    f"{shift_text(take[0], me.timezone)}")
            return self._record_request(session, name, actor, "swap", other_user, give, take,
                                        text, now)

    def accept_swap(self, proposal: int | str | Proposal, by_user: str) -> EditResult:
        return self._accept(proposal, by_user, "swap")

    def decline_swap(self, proposal: int | str | Proposal, by_user: str) -> str:
        """Record the refusal and tell the requester; returns the reply to `by_user`."""
        now = timezones.utc(self.clock.now())
        with self.sessions() as session, session.begin():
            p = self._stored_proposal(session, proposal, "swap")
            if by_user != p.other:
                raise PermissionDenied(f"only {refs.person(p.other)} can answer this swap "
                                       "request")
            text = f"{refs.person(by_user)} declined the swap: {p.text}"
            team_audit.add_entry(session, p.team, by_user, "swap.declined",
                                 {"proposal_id": p.id, "text": text}, now)
            queue_direct(session, p.requester, f"{refs.person(by_user)} declined your swap "
                         f"request ({p.details}).", DM_PRIORITY, now)
        return "Declined; they have been told."

    # -- cover --------------------------------------------------------------------------

    def request_cover(self, actor: str, start: date | datetime, end: date | datetime, *,
                      team: str | None = None) -> Proposal:
        """Ask for someone to cover the actor's on-call time between `start` and `end`
        (their zone; dates inclusive). Nothing changes until someone accepts."""
        name = self.team_name(team, actor)
        now = timezones.utc(self.clock.now())
        with self.sessions() as session, session.begin():
            t = self.load_team(session, name)[1]
            me = need_specialist(t, actor, "you")
            s, e = resolve_span(start, end, me.timezone, edits.EXAMPLES["cover"])
            if e <= now:
                raise ServiceError(f"that period has passed; e.g. {edits.EXAMPLES['cover']}")
            s = max(s, now)
            roster = Roster(t, self.holiday_dates)
            pieces = stints(roster, actor, s, e, clip=True)
            if not pieces:
                raise ServiceError(
                    f"you are not on call between {format_span(s, e, me.timezone)} (from now "
                    f"on); your next shifts: {next_shifts_text(roster, actor, now, me.timezone)}"
                    f"; e.g. {edits.EXAMPLES['cover']}")
            if len(pieces) > MAX_COVER_PIECES:
                raise ServiceError(f"that is {len(pieces)} separate shifts; ask for at most "
                                   f"{MAX_COVER_PIECES} at a time (a shorter period)")
            shown = "; ".join(shift_text(x, me.timezone) for x in pieces)
            text = f"{refs.person(actor)} asks for cover: {shown}"
            return self._record_request(session, name, actor, "cover", None, tuple(pieces), (),
                                        text, now)

    def accept_cover(self, proposal: int | str | Proposal, by_user: str) -> EditResult:
        return self._accept(proposal, by_user, "cover")

    # -- swap / cover plumbing ------------------------------------------------------------

    def _record_request(self, session: Session, team: str, actor: str, kind: str,
                        other: str | None, give: tuple[Shift, ...] | list[Shift],
                        take: tuple[Shift, ...] | list[Shift], text: str, now: datetime
                        ) -> Proposal:
        def proposal(pid: int) -> Proposal:
            return Proposal(pid, kind, team, actor, other, tuple(give), tuple(take), text)

        pid = team_audit.add_numbered_entry(
            session, team, actor, f"{kind}.requested", now,
            lambda i: {"proposal": proposal(i).to_json(), "text": text})
        return proposal(pid)

    def _stored_proposal(self, session: Session, proposal: int | str | Proposal, kind: str
                         ) -> Proposal:
        """The recorded request (what a button's JSON claims is checked against it);
        refused when it was accepted or declined already."""
        given = None
        if isinstance(proposal, Proposal):
            given = proposal
        elif isinstance(proposal, str) and not proposal.strip().isdigit():
            given = Proposal.from_value(proposal)
        pid = given.id if given is not None else int(proposal)
        row = team_audit.entry(session, pid)
        if row is None or row.action != f"{kind}.requested":
            raise NotFound(f"no such {kind} request; ask again")
        stored = Proposal.from_json(row.detail["proposal"], row.detail.get("text", ""))
        if given is not None and not given.same_request(stored):
            raise ServiceError(f"this {kind} request does not match the one recorded; ask again")
        done = team_audit.later_entries(session, row.team, row.id,
                                        (f"{kind}.accepted", f"{kind}.declined"))
        for d in done:
            if (d.detail or {}).get("proposal_id") == pid:
                verb = d.action.split(".")[1]
                raise ServiceError(f"this {kind} request was already {verb} by "
                                   f"{refs.person(d.actor)}")
        return stored

    def _accept(self, proposal: int | str | Proposal, by_user: str, kind: str) -> EditResult:
        with self.sessions() as session:
            p = self._stored_proposal(session, proposal, kind)
        if kind == "swap" and by_user != p.other:
            raise PermissionDenied(f"only {refs.person(p.other)} can accept this swap request")
        if kind == "cover" and by_user == p.requester:
            raise ServiceError("you cannot cover your own shifts; someone else has to accept")

        def build(c: EditContext) -> EditPlan:
            self._stored_proposal(c.session, p, kind)  # not decided meanwhile
            give, take = p.give, p.take
            if kind == "cover":  # whatever has started is past help: cover the rest
                give = tuple(Shift(s.rotation, s.user, max(s.start, c.now), s.end)
                             for s in give if s.end > c.now)
            first = min((s.start for s in (*give, *take)), default=c.now)
            if first < c.now or not give:
                raise ServiceError(f"too late: the {kind} starts {first:%Y-%m-%d %H:%M} UTC, "
                                   "which has passed; ask a manager for an override instead")
            need_specialist(c.team, by_user, "you")
            for s in (*give, *take):
                if not on_call_throughout(c.roster, s):
                    raise ServiceError(
                        f"the schedule changed since the request: {refs.person(s.user)} is no "
                        f"longer on call for {s.rotation} {format_span(s.start, s.end, 'UTC')}; "
                        "ask again")
            if kind == "swap":
                after = swap_team(c.team, p.give[0], p.take[0])
                expect = [Shift(p.give[0].rotation, p.other, p.give[0].start, p.give[0].end),
                          Shift(p.take[0].rotation, p.requester, p.take[0].start,
                                p.take[0].end)]
            else:
                after = c.team
                for s in give:
                    after = edits.add_override(after, s.rotation, by_user, s.start, s.end)
                expect = [Shift(s.rotation, by_user, s.start, s.end) for s in give]

            def check(roster: Roster) -> None:
                for s in expect:
                    if not on_call_throughout(roster, s):
                        raise ServiceError(
                            f"{refs.person(s.user)} is away during {s.rotation} "
                            f"{format_span(s.start, s.end, 'UTC')}, so they cannot take it")

            shifts = [s.to_list() for s in (*give, *take)]
            return EditPlan(after, f"{kind}.accepted",
                            f"{refs.person(by_user)} accepted the {kind} asked by "
                            f"{refs.person(p.requester)} ({p.details})",
                            {"shifts": shifts},
                            {"overrides": [edits.override_dict(o, after)
                                           for o in after.overrides[len(c.team.overrides):]]},
                            guard=True, until=max(s.end for s in (*give, *take)),
                            extra={"proposal_id": p.id}, check=check)

        return self.apply_edit(by_user, p.team, build, None, None)
