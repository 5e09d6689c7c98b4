"""The escalation decision: a pure function of the frozen policy, the request's
progress, the roster and `now`. Services load the inputs and write the outputs.

Progress is the position of the step that fired last, (round, step). A deadline
fires the step after it; a decline re-runs `language_oncall` with the next
candidate when there is one, else moves on at once; so does a page Slack refused for
good (REFUSED: the person cannot be reached there). A step that finds nobody to
notify is skipped at once (noted in the timeline). After the last step of a round
the chain starts again, `repeat` more times; then the request stays open, with
nothing left to fire.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bot.core import refs, routing
from bot.core.checks import LANGUAGE_NAMES
from bot.core.model import DEFAULT_VIA, UNKNOWN_LANGUAGE, EscalationPolicy
from bot.core.roster import Roster

DEADLINE, DECLINE, START = "deadline", "decline", "start"
REFUSED = "refused"  # Slack refused a page for good (deactivated account, bad channel...)
# The request's language was corrected: the step that fired last runs again for it.
REROUTE = "reroute"


@dataclass(frozen=True)
class Position:
    round: int
    step: int


@dataclass(frozen=True)
class Page:
    user: str
    source: str  # routing.ON_CALL | BACKUP | TRANSLATION
    needs_translation: bool = False
    read_as: str | None = None  # chosen as a reader of this fallback language
    # A sensitive request paged to someone at or past the exposure limit, because no
    # other reader was free: (their points, the limit, the window in seconds), said on
    # the page and to the managers. None otherwise.
    over_limit: tuple[int, int, int] | None = None


def _page(c: routing.Candidate, load: routing.Load = routing.NO_LOAD) -> Page:
    over = None
    if load.over_limit(c.user):
        care = load.care
        over = (care.exposure(c.user), care.limit, int(care.window.total_seconds()))
    return Page(c.user, c.source, c.needs_translation, c.read_as, over)


def _below_limit_first(load: routing.Load, found: list) -> list:
    """Everyone of a step that pages them all, without those at the exposure limit when
    anyone below it is there (a sensitive request): nobody is paged past the limit while
    another reader is free."""
    below = [c for c in found if not load.over_limit(c.user)]
    return below or found


@dataclass(frozen=True)
class Fired:
    """One step that fired (or was skipped because it found nobody)."""

    position: Position
    kind: str
    pages: tuple[Page, ...] = ()
    managers: tuple[str, ...] = ()
    channel: str | None = None
    note: str = ""
    # Set when everyone who could be paged at this step was at capacity: says so, in
    # words, for the timeline and the card ("every Arabic reader on call is busy ...").
    busy: str = ""
    # The managers to tell that a page of this step went past someone's exposure limit.
    limit_told: tuple[str, ...] = ()


@dataclass(frozen=True)
class Decision:
    fired: tuple[Fired, ...] = ()
    position: Position | None = None  # the step that fired last after this decision
    next_due: datetime | None = None  # None: nothing more will fire
    exhausted: bool = False


class LoadNeeded(Exception):  # noqa: N818 - a request for an input, not a failure
    """The decision reached a step that pages people, and the context was given without
    the load (`Context.load` None): read it and decide again."""


@dataclass(frozen=True)
class Context:
    roster: Roster
    language: str  # the request's (model.UNKNOWN_LANGUAGE: not recognised)
    managers: tuple[str, ...]
    escalation_channel: str | None
    # How busy people are (open requests, recent pages, last page; the capacity), and
    # their exposure and breaks, weighed for this request (`Load.sensitive`). None: not
    # read (reading it takes the team's routing turn); a step that pages people then
    # raises LoadNeeded, while the managers' and the channel's steps need none.
    load: routing.Load | None = routing.NO_LOAD
    # What the request's category requires of whoever is paged (none: anyone), and its
    # label for the timeline ("Child safety").
    skills: tuple[str, ...] = ()
    category_label: str = ""
    declined: frozenset[str] = frozenset()  # users who declined this request
    paged_this_step: frozenset[str] = frozenset()  # users paged at the current position
    # Users whose page Slack refused for good on this request: like those who declined,
    # never paged again for it (their next page would be refused the same way).
    unreachable: frozenset[str] = frozenset()

    @property
    def passed(self) -> frozenset[str]:
        """Who is out of this request's escalation: declined, or unreachable."""
        return self.declined | self.unreachable


def _next(policy: EscalationPolicy, pos: Position | None) -> Position | None:
    if pos is None:
        return Position(0, 0)
    if pos.step + 1 < len(policy.steps):
        return Position(pos.round, pos.step + 1)
    if pos.round < policy.repeat:
        return Position(pos.round + 1, 0)
    return None


def _fire(policy: EscalationPolicy, pos: Position, ctx: Context, now: datetime,
          exclude: frozenset[str]) -> Fired:
    f = _fire_step(policy, pos, ctx, now, exclude)
    if any(p.over_limit for p in f.pages):  # paged past the exposure limit: tell them
        f = replace(f, limit_told=ctx.managers)
    return f


def _fire_step(policy: EscalationPolicy, pos: Position, ctx: Context, now: datetime,
               exclude: frozenset[str]) -> Fired:
    step = policy.steps[pos.step]
    kind = step.notify
    lang, load, skills = ctx.language, ctx.load, ctx.skills
    if load is None and kind not in ("managers", "channel"):
        raise LoadNeeded(kind)
    if kind == "language_oncall":
        found = routing.chain(ctx.roster, lang, now, load, skills)
        left = [c for c in found if c.user not in exclude]
        if left:
            c = left[0]
            busy = _busy_words(ctx, c.source, left, len(left) < len(found)) \
                if load.busy(c.user) else ""
            return Fired(pos, kind, (_page(c, load),),
                         note=_join(_source_note(ctx, c), busy), busy=busy)
        return Fired(pos, kind, note=_nobody(ctx, bool(found)))
    if kind == "language_oncall_all":
        everyone = routing.chain(ctx.roster, lang, now, load, skills)
        found = _below_limit_first(load, [c for c in everyone if c.user not in ctx.passed])
        pages = tuple(_page(c, load) for c in found)
        if not found:
            return Fired(pos, kind, note=_nobody(ctx, bool(everyone)))
        return Fired(pos, kind, pages, note=_source_note(ctx, found[0]))
    if kind == "language_backup":
        found = _below_limit_first(
            load, [c for c in routing.step_backups(ctx.roster, lang, now, load, skills)
                   if c.user not in ctx.passed])
        pages = tuple(_page(c, load) for c in found)
        if found:
            served = ctx.roster.team.serves(lang)
            return Fired(pos, kind, pages, note="" if served else _source_note(ctx, found[0]))
        return Fired(pos, kind,
                     note=f"no off-shift backup for {_reading_names(ctx)}" + _who_handles(ctx))
    if kind == "managers":
        return Fired(pos, kind, managers=ctx.managers,
                     note="" if ctx.managers else "the team lists no managers")
    if kind == "channel":
        return Fired(pos, kind, channel=ctx.escalation_channel,
                     note="" if ctx.escalation_channel else "no escalation channel")
    raise ValueError(f"unknown escalation step kind {kind!r}")


def _join(*notes: str) -> str:
    return "; ".join(n for n in notes if n)


def _who_handles(ctx: Context) -> str:
    """' who handles Child safety' for a category that needs skills, else ''."""
    if not ctx.skills:
        return ""
    return f" who handles {ctx.category_label or ', '.join(ctx.skills)}"


def _nobody(ctx: Context, anyone: bool) -> str:
    if not ctx.skills:
        return "nobody left to page"
    # Never an unskilled person for a skilled category: the policy moves on.
    what = ctx.category_label or ", ".join(ctx.skills)
    if anyone:
        return f"nobody left to page who is trained for {what}"
    return f"nobody on shift or on backup is trained for {what}"


def _busy_words(ctx: Context, source: str, left: list[routing.Candidate],
                others_passed: bool) -> str:
    """'every Arabic reader on call is busy (3 open each); paged the least loaded:
    @x': said when the person paged is at capacity, so everyone left is."""
    name = (language_name(ctx.language) if ctx.roster.team.serves(ctx.language)
            else _reading_names(ctx))
    who = {routing.BACKUP: f"every off-shift {name} backup",
           routing.TRANSLATION: "everyone on call"}.get(source, f"every {name} reader on call")
    if others_passed:
        who = who.replace("every ", "every other ", 1).replace("everyone", "everyone else")
    counts = sorted(ctx.load.open.get(c.user, 0) for c in left)
    each = (f"{counts[0]} open each" if counts[0] == counts[-1]
            else f"{counts[0]} to {counts[-1]} open each")
    picked = left[0].user
    return (f"{who}{_who_handles(ctx)} is busy ({each}); "
            f"paged the least loaded: {refs.person(picked)}")


def language_name(code: str | None) -> str:
    """'it' -> 'Italian'; the unknown language -> 'an unrecognised language'."""
    if not code or code == UNKNOWN_LANGUAGE:
        return "an unrecognised language"
    return LANGUAGE_NAMES.get(code, code)


def a_reader(lang: str | None) -> str:
    """'a Spanish reader', 'an English reader'."""
    name = language_name(lang)
    return f"{'an' if name[:1] in 'AEIOU' else 'a'} {name} reader"


def _reading_names(ctx: Context) -> str:
    """'Spanish or Portuguese': the languages whose readers take the request."""
    names = [language_name(c) for c in ctx.roster.team.reading_languages(ctx.language)]
    return " or ".join(names) if len(names) < 3 else ", ".join(names[:-1]) + " or " + names[-1]


def _source_note(ctx: Context, c: routing.Candidate) -> str:
    # Read by people on the timeline: the language's name, not its code.
    source = c.source
    name = language_name(ctx.language)
    handles = _who_handles(ctx)
    if not ctx.roster.team.serves(ctx.language):
        written = ("its language was not recognised" if name.startswith("an ")
                   else f"nobody on the team reads {name}")
        if source == routing.TRANSLATION:
            return (f"{written}, and nobody on shift or on backup{handles} reads "
                    f"{_reading_names(ctx)}: needs translation")
        if source == routing.BACKUP:
            return (f"{written}: paging an off-shift {language_name(c.read_as)} backup; "
                    "needs translation")
        return f"{written}: paging {a_reader(c.read_as)}; needs translation"
    if source == routing.BACKUP:
        return f"nobody on shift{handles} reads {name}: paging an off-shift backup"
    if source == routing.TRANSLATION:
        return f"nobody on shift or on backup{handles} reads {name}: needs translation"
    return ""


def _did_something(f: Fired) -> bool:
    return bool(f.pages or f.managers or f.channel)


def decide(policy: EscalationPolicy, last: Position | None, reason: str, ctx: Context,
           now: datetime) -> Decision:
    """What fires now and when the next deadline falls.

    `last` is the step that fired last (None before the first); `reason` is START,
    DEADLINE (the wait after `last` ran out), DECLINE (someone declined a page) or
    REFUSED (Slack refused a page at `last` for good): a page that will never be
    answered, like a declined one; or REROUTE (the request's language was corrected):
    `last` fires again, for the new language.
    """
    fired: list[Fired] = []
    if reason in (DECLINE, REFUSED) and last is not None:
        step = policy.steps[last.step]
        if step.notify == "language_oncall":
            again = _fire(policy, last, ctx, now, ctx.passed | ctx.paged_this_step)
            if _did_something(again):
                return Decision((again,), last, _due(policy, last, now))
        elif ctx.paged_this_step - ctx.passed:
            # Others paged at this step may still answer: keep waiting for them.
            return Decision((), last, None)
    pos = last if reason == REROUTE and last is not None else _next(policy, last)
    while pos is not None:
        f = _fire(policy, pos, ctx, now, ctx.passed)
        fired.append(f)
        if _did_something(f):
            due = _due(policy, pos, now)
            return Decision(tuple(fired), pos, due, exhausted=due is None)
        pos_next = _next(policy, pos)
        if pos_next is None:
            return Decision(tuple(fired), pos, None, exhausted=True)
        # Never loop forever over rounds where every step finds nobody.
        if pos_next.round != pos.round and not any(_did_something(x) for x in fired):
            return Decision(tuple(fired), pos, None, exhausted=True)
        pos = pos_next
    return Decision(tuple(fired), last, None, exhausted=True)


def _due(policy: EscalationPolicy, pos: Position, now: datetime) -> datetime | None:
    wait = policy.steps[pos.step].wait
    if wait is not None:
        return now + wait
    # The last step has no wait: the next round (if any) starts at once.
    return now if _next(policy, pos) is not None else None



def policy_to_json(policy: EscalationPolicy) -> dict:
    doc = {"repeat": policy.repeat,
           "steps": [{"notify": s.notify,
                      "wait": int(s.wait.total_seconds()) if s.wait is not None else None,
                      **({"via": list(s.via)} if s.via != DEFAULT_VIA else {})}
                     for s in policy.steps]}
    if policy.ack_timeout is not None:
        doc["ack_timeout"] = int(policy.ack_timeout.total_seconds())
    return doc


def policy_from_json(doc: dict) -> EscalationPolicy:
    from bot.core.model import EscalationStep

    ack = doc.get("ack_timeout")
    return EscalationPolicy(
        tuple(EscalationStep(s["notify"],
                             timedelta(seconds=s["wait"]) if s["wait"] is not None else None,
                             tuple(s.get("via") or DEFAULT_VIA))
              for s in doc["steps"]),
        int(doc.get("repeat", 0)),
        timedelta(seconds=ack) if ack is not None else None)
