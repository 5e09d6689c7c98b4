"""Every Slack listener of the app, registered in one place.

What Slack sends (a command, a button's action_id, a form's callback_id, an event) and
the plain method that answers it: `listeners.py` holds the paging flow, `oncall.py` the
/oncall commands. Each callback is a plain method a test can call directly.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor

from slack_bolt import App

from bot.slack import failures, ids
from bot.slack.alert_listeners import AlertListeners
from bot.slack.detached import detach
from bot.slack.direct_help import DirectHelp
from bot.slack.emergency_confirm import ShortEmergency
from bot.slack.listeners import Listeners
from bot.slack.oncall import OncallCommands
from bot.slack.replay import ReplayGuard
from bot.slack.sensitive_listeners import SensitiveListeners
from bot.slack.sweep_listeners import SweepListeners


def files_a_request(body: dict) -> bool:
    """/emergency and its form file a request keyed by the interaction (the command's
    trigger id, the form's view id) in the same transaction that files it, so a replay
    already acts once and gets the same answer (the ticket); they are spared a second
    write on the path a surge takes."""
    if body.get("command") == "/emergency":
        return True
    view = body.get("view")
    return (body.get("type") == "view_submission" and isinstance(view, dict)
            and view.get("callback_id") == ids.EMERGENCY_MODAL)


class _Detaching:
    """The app's `command`, `view`, `action`, `shortcut`, `options` and `event`, each
    listener registered through `bot.slack.detached.detach` (answered once it
    acknowledges)."""

    def __init__(self, app: App, executor: Executor):
        self._app, self._executor = app, executor

    def _detached(self, register_with: Callable) -> Callable:
        return lambda listener: register_with(detach(listener, self._executor))

    def command(self, name: str) -> Callable:
        return self._detached(self._app.command(name))

    def view(self, callback_id: str) -> Callable:
        return self._detached(self._app.view(callback_id))

    def action(self, action_id: str) -> Callable:
        return self._detached(self._app.action(action_id))

    def shortcut(self, callback_id: str) -> Callable:
        return self._detached(self._app.shortcut(callback_id))

    def options(self, action_id: str) -> Callable:
        return self._detached(self._app.options(action_id))

    def event(self, event_type: str) -> Callable:
        return self._detached(self._app.event(event_type))


def register(bolt: App, paging: Listeners, oncall: OncallCommands,
             seen_request: Callable[[str], bool], executor: Executor) -> None:
    """`seen_request(key)`: records a signed request's key; True when it was recorded
    before. `executor`: where listeners run (the app processes before responding:
    bot.slack.detached)."""
    app = _Detaching(bolt, executor)
    # A listener that fails before acknowledging (the database unreachable) answers a
    # plain sentence instead of Bolt's empty 500.
    bolt.error(failures.error_handler(paging.d.intake.known_intake_channel))
    bolt.use(ReplayGuard(seen_request, exempt=files_a_request))
    # Requests and pages
    app.command("/emergency")(paging.emergency)
    app.view(ids.EMERGENCY_MODAL)(paging.emergency_submitted)
    app.shortcut(ids.SHORTCUT)(paging.escalate_message)
    # A category or a team picked in that form: the form is updated to match.
    app.action(ids.CATEGORY_ACTION)(paging.form_changed)
    app.action(ids.TEAM_ACTION)(paging.form_changed)
    short = ShortEmergency(paging.d)  # the question a too-short /emergency gets
    app.action(ids.EMERGENCY_FILE_SHORT)(short.file_it)
    app.action(ids.EMERGENCY_WRITE_MORE)(short.write_more)
    app.action(ids.ACK)(paging.acknowledge)
    app.action(ids.DECLINE)(paging.decline)
    app.action(ids.RESOLVE)(paging.open_resolve)
    app.action(ids.HANDOVER)(paging.open_handover)
    app.action(ids.SHOW_TEXT)(paging.show_full_text)
    app.action(ids.SET_LANGUAGE)(paging.set_language)  # "Set language" (card and page)
    app.options(ids.SET_LANGUAGE)(paging.language_options)  # ... and what it lists
    app.action(ids.ASK_VERIFY)(paging.ask_verification)
    app.action(ids.VERIFY)(paging.verified)
    app.action(ids.ACK_SNOOZE)(paging.snooze)  # on the reminder of an unresolved request
    app.view(ids.RESOLVE_MODAL)(paging.resolve_submitted)
    app.view(ids.HANDOVER_MODAL)(paging.handover_submitted)
    app.event("app_home_opened")(paging.app_home_opened)
    # Alerts: Take it, Page someone and its form (on the manager DM, the channel post and
    # the Home tab)
    alerts = AlertListeners(paging.d)
    app.action(ids.TAKE)(alerts.take)
    app.action(ids.PAGE_SOMEONE)(alerts.open_page_someone)
    app.view(ids.PAGE_SOMEONE_MODAL)(alerts.page_someone_submitted)
    # Graphic content: Show details (a modal, audited), Mark / Unmark sensitive
    sensitive = SensitiveListeners(paging.d)
    app.action(ids.SHOW_DETAILS)(sensitive.show_details)
    app.action(ids.MARK_SENSITIVE)(sensitive.mark)
    app.action(ids.UNMARK_SENSITIVE)(sensitive.unmark)
    # A person writing to the bot (the manifest's `message.im`): a short help reply.
    app.event("message")(DirectHelp(paging.d.seen_event, paging.d.later).message)
    # Rotations: /oncall, its form, and the answers to swap and cover asks
    app.command("/oncall")(oncall.handle)
    app.view(ids.ROTATION_MODAL)(oncall.rotation_submitted)
    app.action(ids.SWAP_ACCEPT)(oncall.swap_accept)
    app.action(ids.SWAP_DECLINE)(oncall.swap_decline)
    app.action(ids.COVER_ACCEPT)(oncall.cover_accept)
    # Breaks (the Home tab) and the end-of-shift check-in's answers
    app.action(ids.TAKE_BREAK)(oncall.breaks.take_break)
    app.action(ids.END_BREAK)(oncall.breaks.end_break)
    for action in (ids.CHECKIN_OK, ids.CHECKIN_BREAK, ids.CHECKIN_TALK):
        app.action(action)(oncall.breaks.checkin_answer)
    # Sweeps: a turn's "Nothing found", and "Found something" with its form
    if oncall.d.sweeps is not None:
        sweeps = SweepListeners(paging.d, oncall.d.sweeps)
        app.action(ids.SWEEP_NOTHING)(sweeps.nothing_found)
        app.action(ids.SWEEP_FOUND)(sweeps.found_something)
        app.view(ids.SWEEP_FOUND_MODAL)(sweeps.found_submitted)
