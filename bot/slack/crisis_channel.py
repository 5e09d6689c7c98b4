"""A crisis's Slack channel (PRODUCT.md "Crisis mode"): `crisis-<name>` created, the
on-call specialists of its languages and the managers invited, the status card posted
and pinned. Run on a sending thread by the reconciler while `crisis_setup.pending`
lists a crisis; each step is recorded before the next, and inviting and pinning again
are no-ops (`already_in_channel`, `already_pinned`), so a crash repeats nothing that
shows."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from slack_sdk.errors import SlackApiError

from bot.core.crisis import slug
from bot.services import crisis_setup
from bot.services.crisis_card import CrisisCards
from bot.slack.sender import slack_error
from bot.slack.text import from_neutral

__all__ = ["refresh_cards", "set_up_crises"]

log = logging.getLogger(__name__)
LIST_PAGES = 50  # conversations.list pages read looking for our channel (1000 a page)


def set_up_crises(client, session_factory, cards: CrisisCards, rosters,
                  now: Callable[[], datetime]) -> int:
    """One pass; the number of crises whose Slack side is complete after it."""
    done = 0
    for s in crisis_setup.pending(session_factory):
        try:
            done += _set_up(client, session_factory, cards, rosters, now, s)
        except SlackApiError as err:  # the next pass tries again
            log.warning("crisis %s: Slack answered %s", s.id, slack_error(err)[1])
        except OSError as err:  # no answer (the call may have happened): the same
            log.warning("crisis %s: no answer from Slack (%s)", s.id, type(err).__name__)
    return done


def _set_up(client, session_factory, cards: CrisisCards, rosters, now,
            s: crisis_setup.Setup) -> int:
    channel = s.channel
    if channel is None:
        name = slug(s.name)
        try:
            channel = client.conversations_create(name=name)["channel"]["id"]
        except SlackApiError as err:
            if slack_error(err)[1] != "name_taken":
                raise
            channel = _made_by_us(client, session_factory, name)
            if channel is None:
                crisis_setup.not_started(session_factory, s, name, now())
                return 0
        crisis_setup.set_channel(session_factory, s.id, channel)
    if s.card_ts is None:
        team = rosters.get(s.team).team
        roster = rosters.get(s.team)
        at = now()
        people = {a.user for lang in (s.languages or team.languages)
                  for a in roster.on_call_for(lang, at)} | set(team.managers)
        if people:
            try:
                client.conversations_invite(channel=channel, users=",".join(sorted(people)))
            except SlackApiError as err:
                if slack_error(err)[1] != "already_in_channel":
                    raise
        card = cards.render(s.id)
        if card is None:  # ended meanwhile
            return 0
        ts = client.chat_postMessage(channel=channel, text=from_neutral(card.text))["ts"]
        crisis_setup.set_card(session_factory, s.id, ts)
        cards.shown(card)
        try:
            client.pins_add(channel=channel, timestamp=ts)
        except SlackApiError as err:
            if slack_error(err)[1] != "already_pinned":
                raise
    return 1


def _made_by_us(client, session_factory, name: str) -> str | None:
    """The channel named `name` when this bot created it and no other crisis uses it:
    a create that succeeded in Slack while its id was never recorded (its answer lost,
    or the process died before the commit). None: someone else's channel (or an earlier
    crisis's), and the crisis does not start."""
    me = client.auth_test().get("user_id")
    cursor = ""
    for _ in range(LIST_PAGES):
        page = client.conversations_list(types="public_channel", exclude_archived=True,
                                         limit=1000, cursor=cursor or None)
        for c in page.get("channels") or ():
            if c.get("name") == name:
                ours = me and c.get("creator") == me and not c.get("is_archived")
                if ours and not crisis_setup.channel_in_use(session_factory, c["id"]):
                    return c["id"]
                return None
        cursor = (page.get("response_metadata") or {}).get("next_cursor") or ""
        if not cursor:
            break
    return None


def refresh_cards(client, session_factory, cards: CrisisCards,
                  only: tuple[int, ...] | None = None) -> int:
    """Edit crises' pinned status cards to how they read now: those in `only` (their
    content changed, or they ended), or all active ones (the periodic refresh of the
    time-based parts).
    A card whose text is what it showed already is not edited. The number edited."""
    done = 0
    for s in crisis_setup.cards(session_factory, only):
        try:
            card = cards.render(s.id)
            if card is None:
                continue
            if card.changed:
                client.chat_update(channel=s.channel, ts=s.card_ts, text=from_neutral(card.text))
                done += 1
            cards.shown(card)
        except SlackApiError as err:  # the next refresh tries again
            log.warning("crisis %s card: Slack answered %s", s.id, slack_error(err)[1])
    return done
