"""Listeners of graphic content (issue 13): "Show details" on a page (a modal with the
text, link and fields; refused, privately, to anyone not handling the request), and
"Mark sensitive" / "Unmark sensitive" on a page or the card.

Like the paging listeners (`listeners.py`, whose `Deps` they share): the service
commits before `ack()`, and no Slack call happens on the listener's thread; the modal
and the answer to the person who clicked go through `later`.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.services.errors import ServiceError
from bot.services.sensitivity import Marked
from bot.slack import ids
from bot.slack.listeners import Deps
from bot.slack.render import content
from bot.slack.text import NO_UNFURL, from_neutral


class SensitiveListeners:
    def __init__(self, deps: Deps):
        self.d = deps
        self._later = deps.later or (lambda task: task())

    def _service(self):
        if self.d.sensitivity is None:
            raise ServiceError("graphic content is not set up in this app")
        return self.d.sensitivity

    def show_details(self, ack, body, client, respond) -> None:
        """"Show details": the modal, for someone handling the request; the view is
        audited (and on the timeline) before the modal opens."""
        user = body["user"]["id"]
        try:
            details = self._service().details(
                ids.record_id(body["actions"][0].get("value")), user)
        except (ServiceError, ValueError) as err:
            ack()
            self._tell(respond, from_neutral(f":no_entry: {err}"))
            return
        ack()
        view = content.details_modal(details.request)
        trigger = body.get("trigger_id")
        self._later(lambda: client.views_open(trigger_id=trigger, view=view))
        self.d.deliver(details.request.id)  # the "details viewed" line in the thread

    def mark(self, ack, body, respond) -> None:
        self._change(ack, body, respond, lambda s: s.mark)

    def unmark(self, ack, body, respond) -> None:
        self._change(ack, body, respond, lambda s: s.unmark)

    def _change(self, ack, body, respond,
                pick: Callable[[object], Callable[[int, str], Marked]]) -> None:
        try:
            fn = pick(self._service())
            done = fn(ids.record_id(body["actions"][0].get("value")), body["user"]["id"])
        except (ServiceError, ValueError) as err:
            ack()
            self._tell(respond, from_neutral(f":warning: {err}"))
            return
        ack()
        self._tell(respond, from_neutral(done.message))
        if done.changed:
            self.d.deliver(done.request_id)

    def _tell(self, respond, text: str) -> None:
        """A private answer to the person who clicked (through response_url)."""
        if respond is None:
            return
        self._later(lambda: respond(text=text, response_type="ephemeral",
                                    replace_original=False, **NO_UNFURL))
