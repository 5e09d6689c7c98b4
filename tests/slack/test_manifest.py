"""manifest.yml is a valid Slack app manifest and asks for exactly what the bot uses.

The schema is Slack's (manifest.schema.1.0.0.json). CI has the shared reference folder
beside the repository clone; the vendored copy under tests/fixtures/slack is used when
it is absent, and both are checked when both exist.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft7Validator

from bot.slack import ids

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = ROOT / "manifest.yml"
SCHEMA_NAME = "manifest.schema.1.0.0.json"
SHARED_SCHEMA = ROOT.parent / "shared" / "reference" / "slack" / SCHEMA_NAME
VENDORED_SCHEMA = ROOT / "tests" / "fixtures" / "slack" / SCHEMA_NAME

EVENTS_PATH = "/slack/events"

# Every Web API method the bot calls (as slack_sdk spells it) -> the bot scopes it needs,
# from Slack's method reference. A call the bot may make into a public channel, a
# private one or a DM needs the scope of each kind.
HISTORY = frozenset({"channels:history", "groups:history", "im:history"})
METHOD_SCOPES: dict[str, frozenset[str]] = {
    "chat_postMessage": frozenset({"chat:write"}),
    "chat_update": frozenset({"chat:write"}),
    "chat_getPermalink": frozenset(),  # no scope
    "conversations_open": frozenset({"im:write"}),
    "conversations_history": HISTORY,
    "conversations_replies": HISTORY,
    # files.getUploadURLExternal + files.completeUploadExternal
    "files_upload_v2": frozenset({"files:write"}),
    "usergroups_users_list": frozenset({"usergroups:read"}),
    "usergroups_users_update": frozenset({"usergroups:write"}),
    "views_open": frozenset(),  # no scope
    "views_publish": frozenset(),
    "views_update": frozenset(),
    "views_push": frozenset(),
    # Crisis mode: a public channel per crisis, its people invited, its status card pinned.
    "conversations_create": frozenset({"channels:manage"}),
    "conversations_invite": frozenset({"channels:manage"}),
    "pins_add": frozenset({"pins:write"}),
    # A crisis channel whose create answer was lost: found by name among public
    # channels, and kept only when this bot (auth.test's user) created it.
    "conversations_list": frozenset({"channels:read"}),
    "auth_test": frozenset(),  # no scope
}
# What the manifest's features need besides Web API calls: the slash commands and the
# message shortcut need `commands`; the `message.im` event needs `im:history`.
FEATURE_SCOPES = {"commands", "im:history"}
# `client.chat_postMessage(`, `partial(self.client.conversations_history, ...`
CALL = re.compile(r"\bclient\.((?:chat|conversations|views|users|usergroups|files|reactions"
                  r"|pins|team|auth|im|apps|bots|dnd|bookmarks|reminders|search)_\w+)\b")


def methods_called() -> set[str]:
    """The Web API methods the bot's own code calls (the demo's stand-in aside)."""
    found = set()
    for path in (ROOT / "bot").rglob("*.py"):
        if "demo" in path.relative_to(ROOT).parts:
            continue
        found |= set(CALL.findall(path.read_text(encoding="utf-8")))
    return found


def _schemas() -> list[Path]:
    found = [p for p in (SHARED_SCHEMA, VENDORED_SCHEMA) if p.is_file()]
    assert found, f"no manifest schema at {SHARED_SCHEMA} or {VENDORED_SCHEMA}"
    return found


@pytest.fixture(scope="module")
def manifest() -> dict:
    with MANIFEST.open(encoding="utf-8") as f:
        return yaml.safe_load(f)


def _commands(manifest: dict) -> dict[str, dict]:
    return {c["command"]: c for c in manifest["features"]["slash_commands"]}


@pytest.mark.parametrize(
    "schema_path", _schemas(), ids=lambda p: "shared" if p == SHARED_SCHEMA else "vendored"
)
def test_manifest_validates_against_slack_schema(manifest: dict, schema_path: Path) -> None:
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    Draft7Validator.check_schema(schema)
    errors = sorted(Draft7Validator(schema).iter_errors(manifest), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


def test_vendored_schema_is_present() -> None:
    assert VENDORED_SCHEMA.is_file()


def test_schema_rejects_a_broken_manifest(manifest: dict) -> None:
    schema = json.loads(_schemas()[0].read_text(encoding="utf-8"))
    broken = json.loads(json.dumps(manifest))
    broken["features"]["shortcuts"][0]["name"] = "x" * 25  # Slack allows 24
    broken["settings"]["interactivity"]["request_url"] = "YOUR-HOST/slack/events"
    assert len(list(Draft7Validator(schema).iter_errors(broken))) == 2


def test_both_commands_escape_their_text(manifest: dict) -> None:
    commands = _commands(manifest)
    assert set(commands) == {"/emergency", "/oncall"}
    for name, command in commands.items():
        assert command.get("should_escape") is True, name
    assert commands["/emergency"]["usage_hint"] == (
        "[sev1|sev2|sev3] [lang:xx] [cat:<name>] [graphic] <what is happening>")


def test_message_shortcut(manifest: dict) -> None:
    shortcuts = manifest["features"]["shortcuts"]
    assert [(s["type"], s["callback_id"]) for s in shortcuts] == [("message", ids.SHORTCUT)]
    assert ids.SHORTCUT == "escalate_message"
    assert shortcuts[0]["name"] == "Escalate to on-call"


def test_every_method_the_code_calls_is_mapped_to_its_scopes() -> None:
    called = methods_called()
    # The finder finds the calls we know are there (it is not silently empty).
    assert {"chat_postMessage", "conversations_history", "files_upload_v2"} <= called
    unmapped = called - set(METHOD_SCOPES)
    assert not unmapped, f"add these methods and their scopes to METHOD_SCOPES: {unmapped}"


def test_bot_scopes_are_exactly_what_the_bot_uses(manifest: dict) -> None:
    needed = set(FEATURE_SCOPES)
    for method in methods_called():
        needed |= METHOD_SCOPES[method]
    bot = manifest["oauth_config"]["scopes"]["bot"]
    assert len(bot) == len(set(bot))
    assert set(bot) >= needed, f"missing scopes: {needed - set(bot)}"
    assert set(bot) <= needed, f"scopes nothing uses: {set(bot) - needed}"
    assert "user" not in manifest["oauth_config"]["scopes"]


def test_events_home_tab_and_http_mode(manifest: dict) -> None:
    settings = manifest["settings"]
    # Each has a listener (bot/slack/routes.py): an event nobody handles gets a 404
    # from Bolt, and Slack retries it.
    assert settings["event_subscriptions"]["bot_events"] == ["app_home_opened", "message.im"]
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["socket_mode_enabled"] is False
    home = manifest["features"]["app_home"]
    assert home["home_tab_enabled"] is True
    assert home["messages_tab_enabled"] is True
    assert manifest["display_information"]["name"] == "On-call"
    assert manifest["features"]["bot_user"]["display_name"]


def test_every_request_url_is_the_bolt_endpoint(manifest: dict) -> None:
    settings = manifest["settings"]
    urls = [c["url"] for c in _commands(manifest).values()]
    urls.append(settings["interactivity"]["request_url"])
    # Where Slack asks for a menu's options ("Set language", an external_select).
    urls.append(settings["interactivity"]["message_menu_options_url"])
    urls.append(settings["event_subscriptions"]["request_url"])
    assert len(urls) == 5
    for url in urls:
        assert url.startswith("https://"), url
        assert url.endswith(EVENTS_PATH), url


def test_header_documents_socket_mode() -> None:
    header = "".join(
        line for line in MANIFEST.read_text(encoding="utf-8").splitlines(keepends=True)
        if line.startswith("#")
    )
    assert "socket_mode_enabled: true" in header
    assert "connections:write" in header
    assert "YOUR-HOST" in header
