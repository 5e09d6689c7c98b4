"""The Web API methods the stand-in serves, and the workspace they act on: users, user
groups, messages, views, Home tabs and files, answered the way Slack answers them."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot import json_text
from bot.demo.slack_standin.api_errors import ApiError
from bot.demo.slack_standin.api_errors import require as _require
from bot.demo.slack_standin.channels import ChannelWrites
from bot.demo.slack_standin.conversations import ConversationReads

UPLOAD_PREFIX = "/upload/"
DEFAULT_TS_START = 1767225600  # 2026-01-01T00:00:00Z
_USER_ID = re.compile(r"^[UW][A-Z0-9]+$")


class Workspace(ConversationReads, ChannelWrites):
    """The state behind the Web API methods, and the methods themselves.

    Not thread-safe: the stand-in calls it under its lock. ``origin`` gives the
    stand-in's own address (upload URLs point there), known only once it listens.
    """

    def __init__(
        self,
        *,
        origin: Callable[[], str],
        team_id: str = "T0STANDIN",
        team: str = "Stand-in Workspace",
        bot_user_id: str = "U0STANDBOT",
        bot_id: str = "B0STANDBOT",
        bot_name: str = "oncall-bot",
        workspace_url: str = "https://standin.slack.test/",
        ts_start: int = DEFAULT_TS_START,
    ) -> None:
        self.origin = origin
        self.team_id = team_id
        self.team = team
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.bot_name = bot_name
        self.workspace_url = workspace_url if workspace_url.endswith("/") else workspace_url + "/"
        self._users: dict[str, dict[str, Any]] = {}
        self._usergroups: dict[str, list[str]] = {}
        self._messages: dict[str, dict[str, Any]] = {}
        self._views: dict[str, dict[str, Any]] = {}
        self._home_views: dict[str, str] = {}
        self._files: dict[str, dict[str, Any]] = {}
        self._opened: set[str] = set()
        self._mpims: dict[frozenset[str], str] = {}
        self._ts_start = ts_start
        self._ts_counter = 0
        self._id_counter = 0
        self.methods: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.getPermalink": self._chat_get_permalink,
            "conversations.open": self._conversations_open,
            "conversations.history": self._conversations_history,
            "conversations.replies": self._conversations_replies,
            "conversations.create": self._conversations_create,
            "conversations.list": self._conversations_list,
            "conversations.invite": self._conversations_invite,
            "pins.add": self._pins_add,
            "views.open": self._views_open,
            "views.push": self._views_push,
            "views.update": self._views_update,
            "views.publish": self._views_publish,
            "users.info": self._users_info,
            "usergroups.users.list": self._usergroups_users_list,
            "usergroups.users.update": self._usergroups_users_update,
            "files.getUploadURLExternal": self._files_get_upload_url_external,
            "files.completeUploadExternal": self._files_complete_upload_external,
            "files.info": self._files_info,
        }
        """The Web API methods served, by name: each takes the call's params and
        answers its JSON, or raises ApiError."""

    def add_user(
        self,
        user_id: str,
        *,
        real_name: str | None = None,
        name: str | None = None,
        tz: str = "UTC",
        tz_label: str | None = None,
        tz_offset: int | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """Add (or replace) a user for ``users.info``. Missing tz_offset/tz_label are
        computed for the current instant from the IANA zone. Extra keys are merged
        into the user object."""
        real_name = real_name or user_id
        name = name or real_name.split()[0].lower()
        if tz_offset is None or tz_label is None:
            try:
                now = datetime.now(ZoneInfo(tz))
                offset = now.utcoffset()
                computed_offset = int(offset.total_seconds()) if offset is not None else 0
                computed_label = now.tzname() or tz
            except (ZoneInfoNotFoundError, ValueError):
                computed_offset, computed_label = 0, tz
            tz_offset = computed_offset if tz_offset is None else tz_offset
            tz_label = computed_label if tz_label is None else tz_label
        user: dict[str, Any] = {
            "id": user_id,
            "team_id": self.team_id,
            "name": name,
            "deleted": False,
            "real_name": real_name,
            "tz": tz,
            "tz_label": tz_label,
            "tz_offset": tz_offset,
            "profile": {
                "real_name": real_name,
                "display_name": name,
                "real_name_normalized": real_name,
                "display_name_normalized": name,
                "team": self.team_id,
            },
            "is_admin": False,
            "is_owner": False,
            "is_bot": False,
            "is_app_user": False,
            "updated": self._ts_start,
        }
        user.update(extra)
        self._users[user_id] = user
        return copy.deepcopy(user)

    def set_usergroup(self, usergroup_id: str, user_ids: Iterable[str]) -> None:
        """Set the members ``usergroups.users.list`` returns for a user group."""
        self._usergroups[usergroup_id] = list(user_ids)

    # ---------------------------------------------------------------- inspection

    def usergroup_members(self, usergroup_id: str) -> list[str] | None:
        members = self._usergroups.get(usergroup_id)
        return None if members is None else list(members)

    def dm_channel(self, user_id: str) -> str:
        """The DM channel id the stand-in uses for the bot's DM with ``user_id``."""
        return f"D{user_id}"

    def messages_to(self, channel_or_user: str) -> list[dict[str, Any]]:
        """Messages posted to a channel, or to a user id / its DM channel, oldest first
        (copies of their current state)."""
        channel = self.channel_id(channel_or_user)
        return [_json_copy(m) for m in self._messages.values() if m["channel"] == channel]

    def message(self, ts: str) -> dict[str, Any] | None:
        return _copy_or_none(self._messages.get(ts))

    def view(self, view_id: str) -> dict[str, Any] | None:
        return _copy_or_none(self._views.get(view_id))

    def home_view(self, user_id: str) -> dict[str, Any] | None:
        view_id = self._home_views.get(user_id)
        return self.view(view_id) if view_id else None

    def file(self, file_id: str) -> dict[str, Any] | None:
        return _copy_or_none(self._files.get(file_id))

    def clear(self) -> None:
        """Forget messages, views, files and opened conversations; users, user groups
        and the ts counter are kept."""
        self._messages.clear()
        self._views.clear()
        self._home_views.clear()
        self._files.clear()
        self._opened.clear()
        self._mpims.clear()

    def receive_upload(self, file_id: str, content: bytes) -> bool:
        """The bytes POSTed to a file's upload URL; False for an unknown file."""
        stored = self._files.get(file_id)
        if stored is None:
            return False
        stored["content"] = bytes(content)
        stored["size"] = len(content)
        return True

    # ----------------------------------------------------------------- helpers

    def _next_ts(self) -> str:
        self._ts_counter += 1
        micros = self._ts_counter * 100
        return f"{self._ts_start + micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _next_id(self, prefix: str) -> str:
        self._id_counter += 1
        return f"{prefix}0STANDIN{self._id_counter:05d}"

    def channel_id(self, channel: str) -> str:
        return self.dm_channel(channel) if _USER_ID.match(channel) else channel

    def _message_payload(self, stored: dict[str, Any]) -> dict[str, Any]:
        message: dict[str, Any] = {
            "type": "message",
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "team": self.team_id,
            "text": stored["text"],
            "ts": stored["ts"],
        }
        for key in ("blocks", "attachments", "thread_ts", "metadata", "edited"):
            if stored.get(key) is not None:
                message[key] = _json_copy(stored[key])
        return message

    # ------------------------------------------------------------------ methods

    def _auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": self.workspace_url,
            "team": self.team,
            "user": self.bot_name,
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _chat_post_message(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = _require(params, "channel", "channel_not_found")
        _require_content(params)
        channel = self.channel_id(channel)
        ts = self._next_ts()
        stored = {
            "channel": channel,
            "ts": ts,
            "text": params.get("text") or "",
            "blocks": params.get("blocks"),
            "attachments": params.get("attachments"),
            "thread_ts": params.get("thread_ts") or None,
            "metadata": params.get("metadata"),
            "edited": None,
        }
        self._messages[ts] = stored
        return {"ok": True, "channel": channel, "ts": ts, "message": self._message_payload(stored)}

    def _chat_update(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self.channel_id(_require(params, "channel", "channel_not_found"))
        ts = _require(params, "ts", "message_not_found")
        stored = self._messages.get(str(ts))
        if stored is None or stored["channel"] != channel:
            raise ApiError("message_not_found")
        _require_content(params)
        for key in ("text", "blocks", "attachments", "metadata"):
            if key in params:  # omitted fields are kept, as on Slack
                stored[key] = params[key] if key != "text" else (params[key] or "")
        stored["edited"] = {"user": self.bot_user_id, "ts": self._next_ts()}
        return {
            "ok": True,
            "channel": channel,
            "ts": stored["ts"],
            "text": stored["text"],
            "message": self._message_payload(stored),
        }

    def _chat_post_ephemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        _require(params, "channel", "channel_not_found")
        _require(params, "user", "user_not_found")
        _require_content(params)
        return {"ok": True, "message_ts": self._next_ts()}

    def _chat_get_permalink(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self.channel_id(_require(params, "channel", "channel_not_found"))
        ts = str(_require(params, "message_ts", "message_not_found"))
        stored = self._messages.get(ts)
        if stored is None or stored["channel"] != channel:
            raise ApiError("message_not_found")
        link = f"{self.workspace_url}archives/{channel}/p{ts.replace('.', '')}"
        if stored.get("thread_ts"):
            link += f"?thread_ts={stored['thread_ts']}&cid={channel}"
        return {"ok": True, "channel": channel, "permalink": link}

    def _conversations_open(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("channel"):
            return {"ok": True, "channel": {"id": params["channel"]}}
        raw = params.get("users")
        users = raw if isinstance(raw, list) else [u.strip() for u in str(raw or "").split(",")]
        users = [u for u in users if u]
        if not users:
            raise ApiError("users_list_not_supplied")
        for user_id in users:
            if not _USER_ID.match(user_id):
                raise ApiError("user_not_found")
        if len(users) == 1:
            channel: dict[str, Any] = {
                "id": self.dm_channel(users[0]),
                "is_im": True,
                "user": users[0],
            }
        else:
            key = frozenset(users)
            if key not in self._mpims:
                self._mpims[key] = self._next_id("G")
            channel = {"id": self._mpims[key], "is_mpim": True}
        already_open = channel["id"] in self._opened
        self._opened.add(channel["id"])
        return {"ok": True, "no_op": already_open, "already_open": already_open, "channel": channel}

    def _new_view(
        self, view: Any, *, view_id: str | None = None, previous: str | None = None
    ) -> dict[str, Any]:
        if not isinstance(view, dict) or not view.get("type"):
            raise ApiError("invalid_arguments")
        view_id = view_id or self._next_id("V")
        stored = {
            "id": view_id,
            "team_id": self.team_id,
            "type": view["type"],
            "blocks": [],
            "private_metadata": "",
            "callback_id": "",
            "external_id": "",
            "state": {"values": {}},
            "hash": f"{self._ts_start}.{self._next_id('h')}",
            "clear_on_close": False,
            "notify_on_close": False,
            "previous_view_id": previous,
            "root_view_id": view_id,
            "app_id": "A0STANDIN",
            "bot_id": self.bot_id,
        }
        stored.update(copy.deepcopy(view))
        stored["id"] = view_id
        self._views[view_id] = stored
        return copy.deepcopy(stored)

    def _views_open(self, params: dict[str, Any]) -> dict[str, Any]:
        _require(params, "trigger_id", "invalid_arguments")
        return {"ok": True, "view": self._new_view(params.get("view"))}

    def _views_push(self, params: dict[str, Any]) -> dict[str, Any]:
        _require(params, "trigger_id", "invalid_arguments")
        return {"ok": True, "view": self._new_view(params.get("view"))}

    def _views_update(self, params: dict[str, Any]) -> dict[str, Any]:
        view_id = params.get("view_id")
        external_id = params.get("external_id")
        if not view_id and external_id:
            view_id = next(
                (v["id"] for v in self._views.values() if v.get("external_id") == external_id),
                None,
            )
        if not view_id or view_id not in self._views:
            raise ApiError("not_found")
        current = self._views[view_id]
        if params.get("hash") and params["hash"] != current["hash"]:
            raise ApiError("hash_conflict")
        view = self._new_view(
            params.get("view"), view_id=view_id, previous=current.get("previous_view_id")
        )
        return {"ok": True, "view": view}

    def _views_publish(self, params: dict[str, Any]) -> dict[str, Any]:
        user_id = _require(params, "user_id", "invalid_arguments")
        view = params.get("view")
        if isinstance(view, dict) and view.get("type") != "home":
            raise ApiError("invalid_arguments")
        current_id = self._home_views.get(user_id)
        if current_id and params.get("hash") and params["hash"] != self._views[current_id]["hash"]:
            raise ApiError("hash_conflict")
        published = self._new_view(view, view_id=current_id)
        self._home_views[user_id] = published["id"]
        return {"ok": True, "view": published}

    def _users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        user = self._users.get(str(params.get("user") or ""))
        if user is None:
            raise ApiError("user_not_found")
        return {"ok": True, "user": copy.deepcopy(user)}

    def _usergroups_users_list(self, params: dict[str, Any]) -> dict[str, Any]:
        members = self._usergroups.get(str(params.get("usergroup") or ""))
        if members is None:
            raise ApiError("no_such_subteam")
        return {"ok": True, "users": list(members)}

    def _usergroups_users_update(self, params: dict[str, Any]) -> dict[str, Any]:
        """Replace a user group's members (every group is taken as existing: tests make
        the call refuse with ``fail_next``). An empty list is refused, as Slack does."""
        group = str(params.get("usergroup") or "")
        if not group:
            raise ApiError("invalid_arguments")
        users = [u for u in str(params.get("users") or "").split(",") if u.strip()]
        if not users:
            raise ApiError("invalid_users")
        if any(not _USER_ID.match(u) for u in users):
            raise ApiError("invalid_users")
        self._usergroups[group] = users
        return {"ok": True, "usergroup": {"id": group, "team_id": self.team_id,
                                          "is_usergroup": True, "users": list(users),
                                          "user_count": len(users)}}

    def _files_get_upload_url_external(self, params: dict[str, Any]) -> dict[str, Any]:
        filename = _require(params, "filename", "invalid_arguments")
        try:
            length = int(_require(params, "length", "invalid_arguments"))
        except (TypeError, ValueError):
            raise ApiError("invalid_arguments") from None
        file_id = self._next_id("F")
        self._files[file_id] = {
            "id": file_id,
            "name": filename,
            "title": filename,
            "size": length,
            "alt_txt": params.get("alt_txt"),
            "snippet_type": params.get("snippet_type"),
            "created": self._ts_start,
            "content": None,
            "completed": False,
            "channels": [],
            "initial_comment": None,
            "thread_ts": None,
        }
        upload_url = f"{self.origin()}{UPLOAD_PREFIX}{file_id}"
        return {"ok": True, "upload_url": upload_url, "file_id": file_id}

    def _file_object(self, stored: dict[str, Any]) -> dict[str, Any]:
        name = stored["name"]
        filetype = name.rsplit(".", 1)[-1].lower() if "." in name else "binary"
        return {
            "id": stored["id"],
            "created": stored["created"],
            "timestamp": stored["created"],
            "name": name,
            "title": stored["title"],
            "filetype": filetype,
            "user": self.bot_user_id,
            "size": stored["size"],
            "channels": list(stored["channels"]),
            "permalink": f"{self.workspace_url}files/{self.bot_user_id}/{stored['id']}/{name}",
        }

    def _files_complete_upload_external(self, params: dict[str, Any]) -> dict[str, Any]:
        entries = params.get("files")
        if not isinstance(entries, list) or not entries:
            raise ApiError("invalid_arguments")
        channels: list[str] = []
        if params.get("channel_id"):
            channels.append(self.channel_id(str(params["channel_id"])))
        if params.get("channels"):
            channels += [self.channel_id(c) for c in str(params["channels"]).split(",") if c]
        done = []
        for entry in entries:
            stored = self._files.get(str(entry.get("id")) if isinstance(entry, dict) else "")
            if stored is None or stored["content"] is None:  # unknown, or bytes never arrived
                raise ApiError("file_not_found")
            done.append((stored, entry))
        result = []
        for stored, entry in done:
            stored["title"] = entry.get("title") or stored["title"]
            stored["completed"] = True
            stored["channels"] = channels
            stored["initial_comment"] = params.get("initial_comment")
            stored["thread_ts"] = params.get("thread_ts")
            result.append(self._file_object(stored))
        return {"ok": True, "files": result}

    def _files_info(self, params: dict[str, Any]) -> dict[str, Any]:
        stored = self._files.get(str(params.get("file") or ""))
        if stored is None or not stored["completed"]:
            raise ApiError("file_not_found")
        return {"ok": True, "file": self._file_object(stored)}


# ---------------------------------------------------------------------- params


def _require_content(params: dict[str, Any]) -> None:
    if not any(params.get(k) for k in ("text", "blocks", "attachments")):
        raise ApiError("no_text")



def _copy_or_none(found: dict[str, Any] | None) -> dict[str, Any] | None:
    return copy.deepcopy(found) if found is not None else None


def _json_copy(value: Any) -> Any:
    """A deep copy of JSON-shaped data (what a message holds), through JSON: several
    times quicker than `copy.deepcopy`, which every echoed message paid (the stand-in
    shares the bench's cores with the bot)."""
    return json_text.loads(json_text.dumps_bytes(value))
