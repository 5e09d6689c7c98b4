"""Intake of emergency requests: parse what was typed, choose the team, file, route.

Filing is one transaction with `now` from the injected clock: the request, its first
pages, the deadline of the next step and every message to send are committed together,
so a request Slack saw acknowledged is never lost. Under load a request is only
received (committed, not routed) and `route_next` routes it later.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from sqlalchemy.exc import IntegrityError

from bot.clock import Clock
from bot.core import escalation, escalation_words, intake_fields, refs
from bot.core import languages as languages_core
from bot.core.languages import LanguageDecision
from bot.core.messages import CARD, KINDS, REQUESTER_NOTE, RequestView
from bot.core.model import SEVERITIES, UNKNOWN_LANGUAGE, category_from_json, category_to_json
from bot.core.roster import Roster
from bot.services import crisis_link
from bot.services import due as response_due
from bot.services import escalation as steps
from bot.services.errors import NotFound, ServiceError
from bot.services.outbox import Claimed
from bot.services.requests import (
    RECEIVED,
    SessionFactory,
    page_view,
    policy_for,
    read_view,
    request_view,
)
from bot.services.schedules import RosterCache
from bot.store import crises as crisis_store
from bot.store import paging as q
from bot.store import wakeups
from bot.store.crises import ActiveCrisis
from bot.store.paging_tables import RequestRow
from bot.store.paging_writes import RequestWrites, add_request

# A new request's own transaction writes its messages already claimed: nobody else can
# have seen them, and the caller sends them at once without a second transaction.
CLAIM_ON_FILING = KINDS


@dataclass(frozen=True)
class Intake:
    """What a requester filed, from any front end."""

    key: str  # idempotency key: one request per Slack interaction
    requester: str
    text: str
    via: str  # command | modal | shortcut | demo
    severity: str | None = None
    language: str | None = None  # explicit choice; None -> detect
    link: str | None = None
    origin_channel: str | None = None
    team: str | None = None
    confirm_by_dm: bool = False  # the slash command confirms in its ephemeral reply
    category: str | None = None  # a category's name; None: the team's default category
    fields: dict[str, str] = field(default_factory=dict)  # the category's fields, filled
    # The requester says it is graphic (`graphic` on /emergency, the form's checkbox);
    # a sensitive category makes it so too.
    sensitive: bool = False


@dataclass(frozen=True)
class Filed:
    request: RequestView
    duplicate: bool
    # The messages the filing transaction wrote already claimed: the caller delivers
    # them with `Outbox.deliver_claimed` (None for a duplicate or a request only received).
    claimed: Claimed | None = None


class Detector:
    """Language detection for intake: the best guess over every language the model knows,
    decided into served / not served / unknown (`bot.core.languages.decide`), with the
    detector restricted to the team's languages consulted only to confirm a low-confidence
    best guess that is already one of them. Built lazily (mapping the tables on first use)."""

    def __init__(self, threshold: float | None = None):
        self._threshold = threshold
        self._by_langs: dict[tuple[str, ...], object] = {}

    def restricted(self, text: str, languages: tuple[str, ...]):
        """Detection restricted to `languages` (the `Detection` of bot.language.detector)."""
        from bot.language.detector import DEFAULT_THRESHOLD, LanguageDetector

        det = self._by_langs.get(languages)
        if det is None:
            det = LanguageDetector(list(languages), self._threshold or DEFAULT_THRESHOLD)
            self._by_langs[languages] = det
        return det.detect(text)

    def warm_up(self, languages: tuple[str, ...]) -> None:
        """Map the tables and build both scorers now, not on someone's first emergency."""
        self.decide("warm up", languages)
        self.restricted("warm up", languages)

    def decide(self, text: str, languages: tuple[str, ...]) -> LanguageDecision:
        from bot.language.detector import guess_language

        guess = guess_language(text)
        confirm = None
        if guess.best in languages and guess.confidence < languages_core.THRESHOLD:
            found = self.restricted(text, languages)
            confirm = (found.language, found.confidence)
        return languages_core.decide(guess.best, guess.confidence, guess.runner_up,
                                     languages, confirm=confirm)


class Typed(NamedTuple):
    """What `/emergency` was typed with: its front tokens, and the rest (the text)."""

    severity: str | None
    language: str | None
    text: str
    category: str | None = None
    sensitive: bool = False  # the `graphic` token


def parse_emergency_text(text: str, languages: tuple[str, ...] = (),
                         categories: tuple[str, ...] | None = None) -> Typed:
    """`[sev1|sev2|sev3] [lang:xx] [cat:<name>] [graphic] <text>`, tokens in any order at
    the front.

    Raises ServiceError with an example when a `lang:`, `cat:` or `sevN` token is
    malformed, or (given the team's `categories`) names no category of the team."""
    words = text.strip().split()
    severity = language = category = None
    sensitive = False
    while words:
        w = words[0].lower()
        if w in SEVERITIES:
            severity = w
        elif w == "graphic":
            sensitive = True
        elif w.startswith("lang:") or w.startswith("language:"):
            code = w.split(":", 1)[1]
            if not languages_core.is_iso_639_1(code):
                raise ServiceError(
                    f"'{refs.typed(words[0])}' is not a language; use a two-letter ISO 639-1 code, "
                    f"e.g. {refs.command('emergency sev1 lang:ar <what is happening>')}")
            language = code
        elif w.startswith("cat:") or w.startswith("category:"):
            category = w.split(":", 1)[1]
            check_category(category, categories)
        elif re.fullmatch(r"sev\d+", w):
            raise ServiceError(
                f"'{refs.typed(words[0])}' is not a severity; use sev1, sev2 or sev3, "
                f"e.g. {refs.command('emergency sev1 <what is happening>')}")
        else:
            break
        words.pop(0)
    return Typed(severity, language, " ".join(words), category, sensitive)


def check_category(name: str | None, categories: tuple[str, ...] | None) -> None:
    """Refuse a category the team does not have, naming the ones it has (None: the
    team is not known yet, nothing to check against)."""
    if name is None or categories is None or name in categories:
        return
    listed = ", ".join(f"`cat:{c}`" for c in categories)
    example = refs.command(f"emergency cat:{categories[0]} <what is happening>")
    shown = refs.typed(f"cat:{name}") if name else refs.typed("cat:")
    raise ServiceError(f"'{shown}' is not one of this team's categories; use one of "
                       f"{listed}, e.g. {example}")


# A text too short to be an emergency (`/emergency ok`, `/emergency test`): fewer than
# SHORT_WORDS words *and* fewer than SHORT_CHARS characters, after the severity and
# language tokens. Both, so a pasted link or one long word ("sextortion-livestream")
# still pages at once; what is caught is a slip of the keyboard or a test, and the
# requester is asked to confirm instead of waking someone for it.
SHORT_WORDS = 3
SHORT_CHARS = 12


def too_short(text: str) -> bool:
    """True for what is left after `parse_emergency_text` when it is too short to page
    on without asking (see SHORT_WORDS and SHORT_CHARS)."""
    stripped = " ".join(text.split())
    # No text at all is not "short": filing refuses it with its own example.
    return 0 < len(stripped.split()) < SHORT_WORDS and len(stripped) < SHORT_CHARS
class TeamChoiceNeeded(ServiceError):
    """Several teams take requests and the channel is none of theirs: the requester
    says which (`rosters`, every team, by name)."""

    def __init__(self, rosters: list[Roster]):
        self.rosters = rosters
        names = ", ".join(r.team.name for r in rosters)
        super().__init__(f"several teams take requests ({names}) and this channel is none "
                         "of theirs; pick the team in the form, or file from the team's "
                         "intake channel")


class IntakeService:
    def __init__(self, session_factory: SessionFactory, rosters: RosterCache, clock: Clock,
                 detector: Detector | None = None,
                 intake_session_factory: SessionFactory | None = None,
                 claim_on_filing: tuple[str, ...] = CLAIM_ON_FILING):
        """`claim_on_filing`: the kinds of message a filing (or routing) writes claimed,
        for its caller to send at once; the others are written pending, for whichever
        process's sending threads claim them (a web process that has a jobs process
        beside it claims only what someone waits for: bot.app.runtime)."""
        self._sf = session_factory
        self._claim = claim_on_filing
        # Intake's writes go before background writers waiting in the same process.
        self._intake_sf = intake_session_factory or session_factory
        self.rosters = rosters
        self.clock = clock
        self.detector = detector or Detector()

    def team_for(self, origin_channel: str | None = None, team: str | None = None) -> Roster:
        """The one rule that says which team a request belongs to: the team named, else
        the team whose intake channel (or one of its `intake_channels`) it came from,
        else the only team. With several teams and a channel that is none of theirs it
        raises `TeamChoiceNeeded`: the requester picks (a guess would page the wrong
        desk). Front ends ask it once and pass the roster on to `file`/`receive`, so the
        confirmation and the routing name the same team."""
        rosters = self.rosters.all()  # one read: the names and whether any changed
        if not rosters:
            raise ServiceError("no team is set up yet; import one with "
                               "`oncall-bot schedules import <your team.yaml>`")
        if team:
            for r in rosters:
                if r.team.name == team:
                    return r
            raise NotFound(f"no team named '{team}'")
        for r in rosters:
            if r.team.takes_from(origin_channel):
                return r
        if len(rosters) == 1:
            return rosters[0]
        raise TeamChoiceNeeded(rosters)

    def several_teams(self) -> bool:
        """Whether more than one team takes requests (then replies name the team), from
        the rosters this process holds (`team_for` has just read them)."""
        return len(self.rosters.cached()) > 1

    def known_intake_channel(self, origin_channel: str | None = None) -> str | None:
        """The intake channel `team_for` would choose, from the rosters this process
        already holds, without the database: what a requester is told to post in when
        their request cannot be filed. None when no team is known yet."""
        rosters = self.rosters.cached()
        for r in rosters:
            if r.team.takes_from(origin_channel):
                return r.team.intake_channel
        return rosters[0].team.intake_channel if rosters else None

    def filed_with(self, key: str) -> RequestView | None:
        """The request an interaction already filed (its idempotency key), if any: the
        message shortcut asks before opening its form."""
        with self._sf() as session:
            row = q.request_by_key(session, key)
            return read_view(session, row) if row is not None else None

    def file(self, intake: Intake, roster: Roster | None = None, claim: bool = False
             ) -> Filed:
        """File and route the request in one transaction: when this returns, the
        request is committed with its pages and deadlines. `roster`: the team as
        `team_for` chose it, when the caller already asked. `claim`: its messages are
        written claimed, in `Filed.claimed`, and the caller must deliver them
        (`Outbox.deliver_claimed`); otherwise they wait in the outbox as pending."""
        return self._take(intake, roster, route=True, claim=claim)

    def receive(self, intake: Intake, roster: Roster | None = None) -> Filed:
        """Commit the request without routing it (status `received`), for when this
        process is too busy to route within Slack's 3 seconds: the acknowledgement
        waits only for this small write; `route_next` (the router thread of this
        process, or of the next one after a crash) routes it, most severe first."""
        return self._take(intake, roster, route=False, claim=False)

    def _take(self, intake: Intake, roster: Roster | None, route: bool, claim: bool
              ) -> Filed:
        text = intake.text.strip()
        if not text:
            raise ServiceError("say what is happening; example: " + refs.command(
                "emergency sev1 lang:es amenaza en vivo, link: https://..."))
        if intake.severity is not None and intake.severity not in SEVERITIES:
            raise ServiceError(f"'{refs.typed(intake.severity)}' is not a severity; "
                               "use sev1, sev2 or sev3")
        now = self.clock.now()
        # The roster is looked up before the write transaction opens: it reads through
        # its own connection, which a writer must not wait for while holding the lock.
        roster = roster or self.team_for(intake.origin_channel, intake.team)
        team = roster.team
        check_category(intake.category or team.default_category_name, team.category_names)
        category = team.category(intake.category)
        # An explicit severity wins over the category's; then the team's default.
        severity = intake.severity or category.severity or team.default_severity
        # Checked before the commit: a request that could not be routed must not be
        # acknowledged and left for the router.
        policy_for(team, severity, category)
        fields = {k: str(v).strip() for k, v in intake.fields.items()
                  if k in category.fields and str(v).strip()}
        wrong = intake_fields.problems(category.fields, fields)
        if wrong:  # the forms check first, under each field; any other front end here
            raise ServiceError("; ".join(wrong.values()))
        try:
            with self._intake_sf() as session, session.begin():
                existing, crises = crisis_store.filing_reads(session, intake.key, team.name)
                if existing is not None:
                    return Filed(read_view(session, session.get(RequestRow, existing)),
                                 duplicate=True)
                row = add_request(
                    session, key=intake.key, team=team.name, requester=intake.requester,
                    origin_channel=intake.origin_channel, via=intake.via, text=text,
                    link=intake.link, severity=severity, category=category.name,
                    category_info=category_to_json(category), fields=fields,
                    due_utc=now + category.due if category.due is not None else None,
                    sensitive=category.sensitive or intake.sensitive,
                    language=intake.language or team.languages[0],
                    language_source="explicit" if intake.language else "pending",
                    detected=None, confidence=None, status=RECEIVED, policy={},
                    card_channel=team.intake_channel, created_utc=now)
                w = RequestWrites(session, row, now)
                if row.due_utc is not None:
                    # The card says "overdue" once the response target passes: a
                    # durable deadline, fired once by the reconciler (`steps.DUE`).
                    w.deadline(row.due_utc, response_due.DUE, 0)
                if route:
                    self._start(w, roster, intake.confirm_by_dm, crises)
                else:  # left for routing: the first free router, of any process
                    wakeups.work_for_any(session)
                filed = _filed(w, w.flush(claim=self._claim if claim else ()))
        except IntegrityError:
            # The same interaction arrived twice at once: the other one won.
            with self._sf() as session:
                existing = q.request_by_key(session, intake.key)
                if existing is None:
                    raise
                return Filed(read_view(session, existing), duplicate=True)
        return filed

    def route_next(self, claim: bool = False) -> Filed | None:
        """Route the most severe, oldest `received` request (one transaction); None when
        there is none. Safe from several threads and processes: the row is read locked
        (PostgreSQL: others skip it; SQLite: one writer at a time) and only while it is
        still `received`. `claim` as in `file`."""
        with self._sf() as session, session.begin():
            found = q.claim_next_received(session)
            if found is None:
                return None
            row, revision = found
            # The roster this process holds when it is at the stored revision (filing
            # read it a moment ago), else read through the cache's own connection.
            roster = self.rosters.at_revision(row.team, revision)
            w = RequestWrites(session, row, self.clock.now())
            # Its acknowledgement could not say who was paged: a DM will.
            self._start(w, roster, True)
            return _filed(w, w.flush(claim=self._claim if claim else ()))

    def route_batch(self, limit: int, claim: bool = False,
                    received_by: datetime | None = None) -> list[Filed]:
        """Route up to `limit` `received` requests, most severe and oldest first, in one
        transaction: one claim, one routing turn per team and one commit for all of
        them (what `route_next` costs each one). Each is routed as `route_next` routes
        it, seeing the pages the ones before it wrote. [] when none waits.
        `received_by`: only requests filed by then."""
        with self._sf() as session, session.begin():
            found = q.claim_received(session, limit, received_by)
            # What needs no routing turn goes first, for the whole batch: the languages
            # (detection is the CPU of routing), the crises (read once per team), the
            # policies and cards. The team's routing turn, which every filing of the
            # team waits for, is then held only for the decisions and their writes.
            active: dict[str, list[ActiveCrisis]] = {}
            ready = []
            for row, revision in found:
                roster = self.rosters.at_revision(row.team, revision)
                if row.team not in active:
                    active[row.team] = crisis_store.active_crises(session, row.team)
                w = RequestWrites(session, row, self.clock.now())
                self._prepare(w, roster, True, active[row.team])
                ready.append((w, roster))
            # Each decision reads the load without autoflush, and a page counts as its
            # reader's load only on an `open` request: the batch is `open` in the
            # database (one statement) before the first decision, so each sees the
            # pages of the ones before it.
            session.flush()
            filed = []
            for w, roster in ready:
                steps.decide(w, roster, escalation.START)
                filed.append(_filed(w, w.flush(claim=self._claim if claim else ())))
            return filed

    def received_count(self) -> int:
        with self._sf() as session:
            return q.received_count(session)

    def _start(self, w: RequestWrites, roster: Roster, confirm_by_dm: bool,
               active_crises: list[ActiveCrisis] | None = None) -> None:
        """Route a received request: `_prepare` it, then decide its first escalation
        step (under the team's routing turn)."""
        self._prepare(w, roster, confirm_by_dm, active_crises)
        steps.decide(w, roster, escalation.START)

    def _prepare(self, w: RequestWrites, roster: Roster, confirm_by_dm: bool,
                 active_crises: list[ActiveCrisis] | None = None) -> None:
        """What routing a request needs no routing turn for: its language, the crises
        it joins, its frozen policy, the card, its first timeline line. `active_crises`:
        the team's, when this transaction read them already (None: read them here)."""
        row, team = w.request, roster.team
        # The request keeps the language it is written in, served by the team or not;
        # routing sends one the team does not serve to its `language_fallbacks` readers
        # (UNKNOWN_LANGUAGE, "und", when nothing could tell: the "*" fallback).
        if row.language_source == "explicit" and row.language not in team.languages:
            # `lang:` named a language the team does not serve: routed as if detected.
            row.detected, row.confidence = row.language, None
            row.language_source = "unserved"
        elif row.language_source not in ("explicit", "unserved"):
            found = self.detector.decide(row.text, team.languages)
            row.confidence = round(found.confidence, 3)
            row.detected = found.best_guess
            if found.kind == languages_core.SERVED:
                row.language, row.language_source = found.language, "detected"
            elif found.kind == languages_core.UNSERVED:
                row.language, row.language_source = found.best_guess, "unserved"
            else:
                row.language, row.language_source = UNKNOWN_LANGUAGE, "unknown"
        # Active crises it matches: linked, and its severity raised before the policy.
        crises = crisis_link.match(w, active_crises)
        routed_to = ", ".join(escalation_words.language(code)
                              for code in team.reading_languages(row.language))
        row.policy = escalation.policy_to_json(
            policy_for(team, row.severity, category_from_json(row.category_info)
                       if row.category_info else None))
        row.status = "open"
        if row.language_source == "explicit":
            how = "set by the requester"
        elif row.language_source == "detected":
            how = f"detected ({row.confidence:.0%})"
        elif row.language_source == "unserved":
            found_by = ("set by the requester" if row.confidence is None
                        else f"detected ({row.confidence:.0%})")
            how = (f"{found_by}, not served by this team; routed to {routed_to} readers, "
                   "needs translation")
        else:
            guess = (f"best guess {escalation_words.language(row.detected)} "
                     f"({row.confidence:.0%}); " if row.detected else "")
            how = f"{guess}routed to {routed_to} readers, needs translation"
        w.outbox(CARD, team.intake_channel)
        steps.record(w, row.requester, "filed",
                     f"Filed with {_VIA.get(row.via, 'the ' + row.via)}: "
                     f"{row.severity.upper()}, {_language_head(row)}, {how}",
                     {"severity": row.severity, "language": row.language,
                      "source": row.language_source, "confidence": row.confidence,
                      "detected": row.detected},
                     at=row.created_utc)
        crisis_link.announce(w, crises)
        if confirm_by_dm:
            w.outbox(REQUESTER_NOTE, row.requester, {"note": "filed"})


def _language_head(row) -> str:
    """The language a request's first timeline line names: the one it is written in."""
    if row.language_source == "unserved":
        return "written in " + escalation_words.language(row.language)
    if row.language_source == "unknown":
        return "language not recognised"
    return escalation_words.language(row.language)


# How a request was filed, as its timeline's first line says it.
_VIA = {"command": "/emergency", "modal": "the /emergency form",
        "shortcut": "the message shortcut", "demo": "the demo", "cli": "the command line",
        "sweep": "the sweep form"}


def _filed(w: RequestWrites, claimed) -> Filed:
    """What a filing returns, built from the rows it wrote (nothing is read back)."""
    w.request_id()
    view = request_view(w.request, w.pages)
    if not claimed:
        return Filed(view, duplicate=False)
    return Filed(view, duplicate=False, claimed=Claimed(
        view, tuple(claimed), tuple(page_view(p, view, w.request.policy) for p in w.pages)))
