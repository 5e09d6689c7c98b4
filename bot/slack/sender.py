"""Delivers outbox rows through the Slack Web API, rendering from current state."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.core.messages import (
    CARD,
    CARD_UPDATE,
    CHANNEL_ALERT,
    DIRECT,
    MANAGER_ALERT,
    PAGE,
    PAGE_UPDATE,
    REQUESTER_NOTE,
    TIMELINE,
    TimelineEntry,
)
from bot.services.outbox import Delivery, PermanentError
from bot.slack import render

# Errors that no retry can fix: the message is dropped and the failure recorded.
PERMANENT = {
    "channel_not_found", "not_in_channel", "is_archived", "invalid_blocks", "msg_too_long",
    "user_not_found", "cannot_dm_bot", "account_inactive", "no_text", "invalid_arguments",
    "message_not_found", "cant_update_message", "edit_window_closed", "restricted_action",
}


class SlackSender:
    def __init__(self, client: WebClient, manager_group: Callable[[str], str | None]):
        self.client = client
        self._manager_group = manager_group

    def send(self, d: Delivery) -> tuple[str, str] | None:
        try:
            return self._send(d)
        except SlackApiError as err:
            code = err.response.get("error", "") if err.response is not None else ""
            if code in PERMANENT:
                raise PermanentError(code) from err
            raise

    def _post(self, channel: str, text: str, blocks: list | None = None,
              thread_ts: str | None = None) -> tuple[str, str]:
        r = self.client.chat_postMessage(channel=channel, text=text, blocks=blocks,
                                         thread_ts=thread_ts, unfurl_links=False)
        return r["channel"], r["ts"]

    def _send(self, d: Delivery) -> tuple[str, str] | None:
        if d.kind == PAGE:
            text, blocks = render.page_message(d.page)
            return self._post(d.target, text, blocks)
        if d.kind == PAGE_UPDATE:
            if d.page_message is None:
                return None  # the page itself never went out; nothing to update
            text, blocks = render.page_message(d.page)
            self.client.chat_update(channel=d.page_message[0], ts=d.page_message[1],
                                    text=text, blocks=blocks)
            return None
        if d.kind == CARD:
            text, blocks = render.ticket_card(d.request)
            return self._post(d.target, text, blocks)
        if d.kind == CARD_UPDATE:
            if d.card is None:
                return None
            text, blocks = render.ticket_card(d.request)
            self.client.chat_update(channel=d.card[0], ts=d.card[1], text=text, blocks=blocks)
            return None
        if d.kind == TIMELINE:
            if d.card is None:
                return None  # no card to thread under (its post failed for good)
            # Lines that came due together go out as one thread post (one Slack call).
            texts, blocks = [], []
            for p in d.payload.get("lines") or [d.payload]:
                # The text is the service's, neutral: render.timeline_line renders it.
                entry = TimelineEntry(datetime.fromisoformat(p["at"]), p["actor"],
                                      p["action"], p["text"])
                text, line_blocks = render.timeline_line(entry)
                texts.append(text)
                blocks.extend(line_blocks)
            for i in range(0, len(blocks), 40):  # Block Kit allows 50 blocks a message
                self._post(d.card[0], "\n".join(texts[i:i + 40]), blocks[i:i + 40],
                           thread_ts=d.card[1])
            return None
        if d.kind == REQUESTER_NOTE:
            text, blocks = render.requester_note(d.request, d.payload.get("note", "filed"),
                                                 d.card[0] if d.card else None)
            self._post(d.target, text, blocks)
            return None
        if d.kind == MANAGER_ALERT:
            text, blocks = render.manager_alert(d.request)
            self._post(d.target, text, blocks)
            return None
        if d.kind == CHANNEL_ALERT:
            text, blocks = render.channel_alert(d.request, self._manager_group(d.request.team))
            self._post(d.target, text, blocks)
            return None
        if d.kind == DIRECT:
            text, blocks = render.direct_message(d.payload)
            self._post(d.target, text, blocks)
            return None
        raise PermanentError(f"unknown outbox kind {d.kind!r}")
