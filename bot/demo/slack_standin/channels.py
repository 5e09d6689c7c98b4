"""The stand-in's channels: `conversations.create`, `conversations.invite` and
`pins.add` (crisis mode's channel and its pinned status card), answering as Slack does:
`name_taken`, `invalid_name_specials`, `already_in_channel`, `already_pinned`; and
`conversations.list` (public channels, with their `creator`, a page at a time)."""

from __future__ import annotations

import re
from typing import Any

from bot.demo.slack_standin.api_errors import ApiError, require

_NAME = re.compile(r"[a-z0-9_-]{1,80}")
_USER = re.compile(r"[UW][A-Z0-9]{2,}")


class ChannelWrites:
    """Mixed into the stand-in's `Workspace`, which holds `_messages` and `_next_id`.
    Channels made here are remembered by name; `add_channel` takes a name as existing
    (a channel someone already made, for `name_taken`)."""

    _messages: dict[str, dict[str, Any]]
    bot_user_id: str

    def _channel_state(self) -> dict[str, Any]:
        return self.__dict__.setdefault("_channel_writes",
                                        {"by_name": {}, "members": {}, "pins": {},
                                         "creators": {}})

    def add_channel(self, name: str, channel_id: str | None = None,
                    creator: str = "U0SOMEONE") -> str:
        """A channel named `name`, made by `creator` (by default a person, not the bot)."""
        state = self._channel_state()
        channel_id = channel_id or self._next_id("C")
        state["by_name"][name] = channel_id
        state["members"].setdefault(channel_id, set())
        state["creators"][channel_id] = creator
        return channel_id

    def channel_members(self, channel_id: str) -> set[str]:
        return set(self._channel_state()["members"].get(channel_id, ()))

    def pinned(self, channel_id: str) -> set[str]:
        return set(self._channel_state()["pins"].get(channel_id, ()))

    def _conversations_create(self, params: dict[str, Any]) -> dict[str, Any]:
        name = str(params.get("name") or "")
        if not name:
            raise ApiError("invalid_name_required")
        if not _NAME.fullmatch(name):
            raise ApiError("invalid_name_specials")
        state = self._channel_state()
        if name in state["by_name"]:
            raise ApiError("name_taken")
        channel_id = self.add_channel(name, creator=self.bot_user_id)
        private = str(params.get("is_private", "")).lower() in ("1", "true")
        return {"ok": True, "channel": {"id": channel_id, "name": name, "is_channel": True,
                                        "is_private": private, "is_member": True}}

    def _conversations_list(self, params: dict[str, Any]) -> dict[str, Any]:
        """Public channels by name order, `limit` a page (Slack: at most 1000), the next
        page's `cursor` in `response_metadata` ("" on the last)."""
        types = str(params.get("types") or "public_channel")
        if "public_channel" not in types.split(","):
            return {"ok": True, "channels": [], "response_metadata": {"next_cursor": ""}}
        try:
            limit = max(1, min(int(params.get("limit") or 100), 1000))
            start = int(params.get("cursor") or 0)
        except ValueError as err:
            raise ApiError("invalid_cursor") from err
        state = self._channel_state()
        named = sorted(state["by_name"].items())
        page = named[start:start + limit]
        more = start + limit < len(named)
        return {"ok": True, "channels": [
            {"id": cid, "name": name, "is_channel": True, "is_archived": False,
             "is_private": False, "creator": state["creators"].get(cid, "U0SOMEONE")}
            for name, cid in page],
            "response_metadata": {"next_cursor": str(start + limit) if more else ""}}

    def _conversations_invite(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = str(require(params, "channel", "channel_not_found"))
        members = self._channel_state()["members"]
        if channel not in members:
            raise ApiError("channel_not_found")
        users = [u.strip() for u in str(params.get("users") or "").split(",") if u.strip()]
        if not users:
            raise ApiError("no_user")
        if any(not _USER.fullmatch(u) for u in users):
            raise ApiError("user_not_found")
        new = [u for u in users if u not in members[channel]]
        if not new:
            raise ApiError("already_in_channel")
        members[channel].update(new)
        return {"ok": True, "channel": {"id": channel}}

    def _pins_add(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = str(require(params, "channel", "channel_not_found"))
        ts = str(require(params, "timestamp", "no_item_specified"))
        stored = self._messages.get(ts)
        if stored is None or stored["channel"] != channel:
            raise ApiError("message_not_found")
        pins = self._channel_state()["pins"].setdefault(channel, set())
        if ts in pins:
            raise ApiError("already_pinned")
        pins.add(ts)
        return {"ok": True}
