"""Slack messages as the demo prints them: what a person saw, as plain text.

The stand-in records what the bot sent in Slack's own markup (`<@U123>` mentions,
`<!date^...>` tokens, Block Kit). Slack shows those as names and local times; this
does the same for the console: people by their names from the stand-in's users,
instants in the reader's own zone, buttons as `[Acknowledge]`, blocks as lines.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

_TOKEN = re.compile(r"<([^<>]+)>")
_BOLD = re.compile(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])")


class Readable:
    """`names`: Slack user id -> name; `channels`: channel id -> name (without #);
    `groups`: user group id -> name."""

    def __init__(self, names: Callable[[str], str | None],
                 channels: Mapping[str, str] | None = None,
                 groups: Mapping[str, str] | None = None):
        self._names = names
        self._channels = dict(channels or {})
        self._groups = dict(groups or {})

    def channel_name(self, channel: str) -> str:
        return self._channels.get(channel) or channel

    def when(self, instant: datetime, zone: str) -> str:
        """An instant as a reader in `zone` reads it: 'Wed 1 Jul 14:00 CEST'."""
        local = instant.astimezone(ZoneInfo(zone))
        return f"{local:%a} {local.day} {local:%b %H:%M} {local.tzname()}"

    def text(self, mrkdwn: str, zone: str) -> str:
        """One mrkdwn string as plain text for a reader in `zone`."""
        def token(m: re.Match) -> str:
            inner = m.group(1)
            target, _, label = inner.partition("|")
            if target.startswith("@"):
                return "@" + (self._names(target[1:]) or label or target[1:])
            if target.startswith("#"):
                return "#" + (self._channels.get(target[1:]) or label or target[1:])
            if target.startswith("!date^"):
                stamp = target.split("^")[1]
                try:
                    return self.when(datetime.fromtimestamp(int(stamp), UTC), zone)
                except ValueError:
                    return label or stamp
            if target.startswith("!subteam^"):
                group = target.split("^")[1]
                return "@" + (self._groups.get(group) or label or group)
            if target.startswith("!"):
                return "@" + (label or target[1:])
            return f"{label} ({target})" if label and label != target else target

        plain = _TOKEN.sub(token, mrkdwn or "")
        return html.unescape(_BOLD.sub(r"\1", plain))

    def message(self, message: Mapping[str, Any], zone: str) -> list[str]:
        """A message (its blocks, else its text) as lines."""
        blocks = message.get("blocks") or []
        if not blocks:
            return self.text(str(message.get("text") or ""), zone).splitlines()
        lines: list[str] = []
        for block in blocks:
            lines += self._block(block, zone)
        return lines

    def _block(self, block: Mapping[str, Any], zone: str) -> list[str]:
        kind = block.get("type")
        if kind in ("section", "header"):
            lines = self._element(block.get("text") or {}, zone).splitlines()
            for field in block.get("fields") or []:
                # A field is "*Label*\nvalue": one line, "Label: value".
                label, _, value = self._element(field, zone).partition("\n")
                lines.append(f"{label}: {value}" if value else label)
            return lines
        if kind == "context":
            return [" · ".join(t for t in (self._element(e, zone)
                                           for e in block.get("elements", [])) if t)]
        if kind == "actions":
            return [" ".join(f"[{self._control(e, zone)}]" for e in block.get("elements", []))]
        if kind == "divider":
            return ["---"]
        if kind == "image":
            return [f"(image: {block.get('alt_text', '')})"]
        return []

    def _control(self, element: Mapping[str, Any], zone: str) -> str:
        """A button's label; a menu as "Set language: Spanish v" (its name, then what
        it shows as chosen)."""
        if "placeholder" in element or "initial_option" in element:
            name = self._element(element.get("placeholder") or {}, zone) or "Choose"
            chosen = self._element((element.get("initial_option") or {}).get("text") or {},
                                   zone)
            return f"{name}: {chosen} v" if chosen else f"{name} v"
        return self._element(element.get("text") or {}, zone) or element.get("action_id", "")

    def _element(self, element: Mapping[str, Any], zone: str) -> str:
        if element.get("type") == "mrkdwn":
            return self.text(str(element.get("text") or ""), zone)
        if element.get("type") == "plain_text":
            return str(element.get("text") or "")
        if element.get("type") == "image":
            return ""
        return ""
