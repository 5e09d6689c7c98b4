"""The shape of what Slack posts to /slack/events, checked once before Bolt parses it.

Bolt and the listeners index into the payload (`body["actions"][0]`, `body["user"]["id"]`)
as Slack documents it; a signed body of another shape (a bug, a replay of a truncated
request, a test tool) used to end in a KeyError and a 500 with a traceback. Checking the
few fields every listener relies on, here, keeps the listeners plain and turns such a
body into a 400 that says what was missing. Values inside the fields (ids in button
values, form contents) are the listeners' and services' to judge.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs

# Interactive payload types and the fields each one's listeners read.
_INTERACTIVE_OBJECTS = {
    "block_actions": ("actions",),
    "view_submission": ("view",),
    "view_closed": ("view",),
    "message_action": (),
    "shortcut": (),
    "block_suggestion": (),
}


def problem_with(body: bytes, content_type: str) -> str | None:
    """What is wrong with a signed request body, in words; None when it has the shape
    the listeners expect."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return "the body is not UTF-8 text"
    if content_type.split(";")[0].strip().lower() == "application/json":
        return _event_problem(text)
    try:
        form = parse_qs(text, keep_blank_values=True, errors="strict")
    except UnicodeDecodeError:
        return "a form field is not UTF-8 text"
    if "payload" in form:
        return _interactive_problem(form["payload"][0])
    if "command" in form:
        return None if form.get("user_id", [""])[0] else "the command has no user"
    return None  # e.g. Slack's ssl_check; Bolt answers what it does not handle


def _json_object(text: str, what: str) -> tuple[dict | None, str | None]:
    try:
        doc = json.loads(text)
    except ValueError:
        return None, f"the {what} is not JSON"
    if not isinstance(doc, dict):
        return None, f"the {what} is not a JSON object"
    return doc, None


def _event_problem(text: str) -> str | None:
    doc, problem = _json_object(text, "body")
    if doc is None:
        return problem
    if not isinstance(doc.get("type"), str):
        return "the body has no type"
    if doc["type"] == "event_callback" and not isinstance(doc.get("event"), dict):
        return "the event is missing"
    return None


def _interactive_problem(text: str) -> str | None:
    doc, problem = _json_object(text, "payload")
    if doc is None:
        return problem
    kind = doc.get("type")
    if not isinstance(kind, str):
        return "the payload has no type"
    if kind not in _INTERACTIVE_OBJECTS:
        return None
    user = doc.get("user")
    if not isinstance(user, dict) or not isinstance(user.get("id"), str) or not user["id"]:
        return "the payload names no user"
    for field in _INTERACTIVE_OBJECTS[kind]:
        value = doc.get(field)
        if field == "actions":
            if not isinstance(value, list) or not value:
                return "the payload has no action"
            if not all(isinstance(a, dict) and isinstance(a.get("action_id"), str)
                       for a in value):
                return "an action has no action_id"
        elif not isinstance(value, dict):
            return f"the payload has no {field}"
    if kind == "view_submission" and not isinstance(
            (doc["view"].get("state") or {}).get("values"), dict):
        return "the submitted form has no values"
    return None
