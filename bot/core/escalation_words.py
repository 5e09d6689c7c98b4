"""The escalation in the reader's words: what a step does, what comes next if nobody
acknowledges, and how a timeline line names a step. Pure and transport-neutral (people
and channels as `bot.core.refs` references).

People read these at 3 a.m.: no step kinds (`language_oncall`), no routing sources
(`on_call`), no "step 2/5" or "round 1 of 3"; "every Arabic reader on call", "the
off-shift Arabic backup", "the managers", "second round".
"""

from __future__ import annotations

from bot.core import escalation, refs, routing
from bot.core.checks import LANGUAGE_NAMES
from bot.core.model import UNKNOWN_LANGUAGE, EscalationPolicy

_ROUNDS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth",
           "ninth", "tenth")


def language(code: str | None) -> str:
    """'ar' -> 'Arabic'; an unnamed code stays as it is; the unknown language (a text
    whose language was not recognised) -> 'unknown language'."""
    if code == UNKNOWN_LANGUAGE:
        return "unknown language"
    return LANGUAGE_NAMES.get(code or "", code or "their language")


def round_name(index: int) -> str:
    """0 -> 'first round', 1 -> 'second round', 11 -> 'round 12'."""
    return f"{_ROUNDS[index]} round" if 0 <= index < len(_ROUNDS) else f"round {index + 1}"


def step_noun(kind: str, lang: str, served: bool = True) -> str:
    """Who a step reaches, as a noun phrase ("every Arabic reader on call"). `served`
    False: the team does not serve `lang`, its readers are those of its fallbacks
    ("every reader on call the team sends Italian to")."""
    name = language(lang)
    if not served or lang == UNKNOWN_LANGUAGE:
        what = "unknown-language requests" if lang == UNKNOWN_LANGUAGE else name
        to = f"the team sends {what} to"
        return {
            "language_oncall": f"the next reader on call {to}",
            "language_oncall_all": f"every reader on call {to}",
            "language_backup": f"the off-shift backups {to}",
        }.get(kind) or step_noun(kind, "en")
    return {
        "language_oncall": f"the next {name} reader on call",
        "language_oncall_all": f"every {name} reader on call",
        "language_backup": f"the off-shift {name} backup",
        "managers": "the managers",
        "channel": "the escalation channel",
    }.get(kind, "the next person")


def upcoming(policy: EscalationPolicy, round_: int, step: int, count: int = 2
             ) -> list[tuple[int, int]]:
    """The next `count` (round, step) positions after (round_, step), in firing order."""
    found: list[tuple[int, int]] = []
    r, s = round_, step
    while len(found) < count:
        if s + 1 < len(policy.steps):
            s += 1
        elif r < policy.repeat:
            r, s = r + 1, 0
        else:
            break
        found.append((r, s))
    return found


def if_nobody(policy: EscalationPolicy, round_: int, step: int, lang: str,
              served: bool = True) -> str:
    """What happens when nobody acknowledges in time, after a page at (round_, step):
    'every Arabic reader on call is paged, then the managers'; '' when nothing follows."""
    nxt = upcoming(policy, round_, step)
    if not nxt:
        return ""
    phrases = []
    for r, s in nxt:
        noun = step_noun(policy.steps[s].notify, lang, served)
        if r != round_ and not phrases:
            noun = f"{noun} ({round_name(r)})"
        phrases.append(noun)
    first_kind = policy.steps[nxt[0][1]].notify
    if first_kind == "channel":
        head = f"it is posted to {phrases[0]}"
    elif first_kind == "managers":
        head = f"{phrases[0]} are alerted"
    else:
        head = f"{phrases[0]} is paged"
    return head + (f", then {phrases[1]}" if len(phrases) > 1 else "")


def decision_words(decision: escalation.Decision, lang: str,
                   still_waiting: tuple[str, ...] = ()) -> str:
    """Where a request went after a decline or a refused page, as the end of a
    sentence: 'now paging {@U2}, Arabic reader on call', 'the managers ({@M1}) have
    been alerted'. `still_waiting`: others paged at this step who may still answer."""
    acted = next((f for f in decision.fired if f.pages or f.managers or f.channel), None)
    if acted is None:
        if still_waiting and not decision.exhausted:
            return f"still waiting for {refs.people(still_waiting)}, also paged"
        return "nobody else is left to page; the request stays open"
    if acted.pages:
        if len(acted.pages) == 1:
            p = acted.pages[0]
            return "now paging " + who_was_paged(p.user, p.source, lang, p.read_as)
        return (f"now paging {step_noun(acted.kind, lang)}: "
                + refs.people(p.user for p in acted.pages))
    if acted.managers:
        return f"the managers ({refs.people(acted.managers)}) have been alerted"
    return f"posted to the escalation channel {refs.channel(acted.channel or '')}"


def fired_prefix(kind: str, round_: int, lang: str, served: bool = True) -> str:
    """The start of a timeline line for a step that fired: 'Paging every Arabic reader
    on call' ('Second round: paging ...' after the first round)."""
    doing = {
        "managers": "alerting the managers",
        "channel": "posting to the escalation channel",
    }.get(kind, f"paging {step_noun(kind, lang, served)}")
    if round_:
        return f"{round_name(round_).capitalize()}: {doing}"
    return doing[:1].upper() + doing[1:]


def who_was_paged(user: str, source: str, lang: str, read_as: str | None = None) -> str:
    """'{@U1}, Arabic reader on call' in a sentence: who, and why them. `read_as`: the
    fallback language they were chosen as a reader of (the team does not serve `lang`)."""
    name = language(lang)
    if read_as:
        written = ("its language was not recognised" if lang == UNKNOWN_LANGUAGE
                   else f"written in {name}")
        role = "an off-shift backup" if source == routing.BACKUP else "on call"
        return (f"{refs.person(user)}, {language(read_as)} reader {role} "
                f"({written}; needs translation)")
    if source == routing.BACKUP:
        return f"{refs.person(user)}, an off-shift {name} backup"
    if source == routing.TRANSLATION:
        return f"{refs.person(user)}, on call (needs translation: does not read {name})"
    if source == "handover":
        return f"{refs.person(user)}, handed over to them"
    if source == "handoff":
        return f"{refs.person(user)}, the incoming {name} reader"
    if source == "reopened":
        return f"{refs.person(user)}, who had acknowledged it"
    return f"{refs.person(user)}, {name} reader on call"
