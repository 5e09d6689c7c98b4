"""The bot's Messages tab: a person who writes to the bot gets a short help reply.

The manifest keeps the Messages tab open (pages and alerts arrive there), so people
write to the bot, and a message nobody answers looks like a page that was read. The
reply says what the bot does with DMs (nothing) and where to go instead. As with the
other listeners, the Slack call is made on another thread (`later`), never on the one
that acknowledges.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.slack.text import NO_UNFURL

HELP = (
    ":wave: I don't read messages here, so nobody has seen this one. "
    # "<" and ">" escaped: Slack reads a raw "<...>" as markup, even inside backticks.
    "For an emergency, type `/emergency sev1 &lt;what is happening&gt;` in any channel, in any "
    "language (or `/emergency` alone for a form); add `graphic` (`/emergency graphic sev1 "
    "...`) for violent, sexual or self-harm content, so the channel sees no text or link. "
    "For who is on call, your shifts, "
    "swaps and time off: `/oncall help`. Pages and alerts for you arrive here with "
    "their buttons; the Home tab lists what needs you now."
)


class DirectHelp:
    def __init__(self, seen_event: Callable[[str], bool],
                 later: Callable[[Callable[[], object]], None] | None = None):
        self._seen = seen_event
        self._later = later or (lambda task: task())

    def message(self, body, event, client) -> None:
        """`message` events: answers a person's own new message in their DM with the
        bot; everything else (channels, edits, the bot's own posts) is left alone."""
        if event.get("channel_type") != "im":
            return
        # A bot's post (ours included: our replies come back as events), an edit, a
        # deletion, a join: not a person writing to us.
        if event.get("bot_id") or event.get("subtype") or not event.get("user"):
            return
        if self._seen(body.get("event_id", "")):
            return  # a Slack retry of an event already answered
        channel = event.get("channel")
        if not channel:
            return
        self._later(lambda: client.chat_postMessage(channel=channel, text=HELP,
                                                            **NO_UNFURL))
