"""The stand-in's conversation reads: `conversations.history` and `conversations.replies`,
paged by cursor, with message metadata when asked for (how the bot looks up a message
it may have posted before it died)."""

from __future__ import annotations

from typing import Any

from bot.demo.slack_standin.api_errors import ApiError, require


class ConversationReads:
    """Mixed into the stand-in's `Workspace`, which holds `_messages`,
    `channel_id` and `_message_payload`."""

    _messages: dict[str, dict[str, Any]]

    def _conversations_history(self, params: dict[str, Any]) -> dict[str, Any]:
        """A channel's messages (not thread replies), newest first, paged by cursor.

        The stand-in's timestamps count calls rather than time, so ``oldest`` and
        ``latest`` are accepted and not applied. Metadata is included only with
        ``include_all_metadata``, as on Slack."""
        channel = self.channel_id(require(params, "channel", "channel_not_found"))
        found = [m for m in self._messages.values() if m["channel"] == channel
                 and m.get("thread_ts") in (None, m["ts"])]
        found.sort(key=lambda m: _ts_key(m["ts"]), reverse=True)
        return self._page_of(found, params)

    def _conversations_replies(self, params: dict[str, Any]) -> dict[str, Any]:
        """A thread: its parent, then its replies, oldest first (``oldest`` as above)."""
        channel = self.channel_id(require(params, "channel", "channel_not_found"))
        ts = str(require(params, "ts", "thread_not_found"))
        parent = self._messages.get(ts)
        if parent is None or parent["channel"] != channel:
            raise ApiError("thread_not_found")
        replies = [m for m in self._messages.values() if m["channel"] == channel
                   and m.get("thread_ts") == ts and m["ts"] != ts]
        replies.sort(key=lambda m: _ts_key(m["ts"]))
        return self._page_of([parent, *replies], params)

    def _page_of(self, found: list[dict[str, Any]], params: dict[str, Any]) -> dict[str, Any]:
        start = int(params.get("cursor") or 0)
        limit = max(1, min(int(params.get("limit") or 100), 1000))
        metadata = str(params.get("include_all_metadata", "")).lower() in ("1", "true")
        messages = []
        for stored in found[start:start + limit]:
            message = self._message_payload(stored)
            if not metadata:
                message.pop("metadata", None)
            messages.append(message)
        more = start + limit < len(found)
        return {"ok": True, "messages": messages, "has_more": more,
                "response_metadata": {"next_cursor": str(start + limit) if more else ""}}


def _ts_key(ts: str) -> tuple[int, int]:
    whole, _, frac = ts.partition(".")
    return int(whole), int(frac or 0)
