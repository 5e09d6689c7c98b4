"""Listeners of what an alert lets people do (issue 10): "Take it", "Page someone" and
its form, on the manager DM, the escalation-channel post and the Home tab.

Like the paging listeners (`listeners.py`, whose `Deps` they share): the service commits
before `ack()`, and no Slack call happens on the listener's thread; a form to open, an
answer to the person who clicked and a Home tab to publish go through `later`.
"""

from __future__ import annotations

from bot.core import refs
from bot.services.errors import ServiceError
from bot.services.escalation import Outcome
from bot.slack import ids, render
from bot.slack.listeners import Deps, from_home
from bot.slack.text import NO_UNFURL, from_neutral


class AlertListeners:
    def __init__(self, deps: Deps):
        self.d = deps
        self._later = deps.later or (lambda task: task())

    # -- Take it -----------------------------------------------------------------------------

    def take(self, ack, body, client, respond) -> None:
        user = body["user"]["id"]
        try:
            outcome = self.d.escalation.take(
                ids.record_id(body["actions"][0].get("value")), user)
        except (ServiceError, ValueError) as err:
            ack()
            self._tell(body, client, respond, from_neutral(f":warning: {err}"))
            return
        ack()
        self._answered(body, client, respond, user, outcome)

    # -- Page someone ------------------------------------------------------------------------

    def open_page_someone(self, ack, body, client, respond) -> None:
        ack()
        try:
            req = self.d.requests.request_view(ids.record_id(body["actions"][0].get("value")))
            picks = self.d.escalation.page_candidates(req.id)
        except (ServiceError, ValueError) as err:
            self._tell(body, client, respond, from_neutral(f":warning: {err}"))
            return
        if req.status != "open":
            # Nothing to page for: say who has it instead of opening a form.
            who = f"{refs.person(req.assignee)} has it" if req.assignee else "it is closed"
            self._tell(body, client, respond,
                       from_neutral(f"{req.ticket} needs nobody paged: {who}."))
            return
        view = render.page_someone_modal(req, picks)
        self._later(lambda: client.views_open(trigger_id=body["trigger_id"], view=view))

    def page_someone_submitted(self, ack, body, client, view) -> None:
        values = view["state"]["values"]
        chosen = (values.get(ids.PAGE_SOMEONE_TARGET_BLOCK, {})
                  .get(ids.PAGE_SOMEONE_TARGET_ACTION, {}).get("selected_option") or {})
        target = chosen.get("value")
        if not target:
            ack(response_action="errors",
                errors={ids.PAGE_SOMEONE_TARGET_BLOCK: "Pick who to page"})
            return
        user = body["user"]["id"]
        try:
            outcome = self.d.escalation.page_someone(
                ids.record_id(view.get("private_metadata")), user, target)
        except (ServiceError, ValueError) as err:
            ack(response_action="errors",
                errors={ids.PAGE_SOMEONE_TARGET_BLOCK: from_neutral(str(err))[:150]})
            return
        if not outcome.changed:
            # Nothing was paged (someone has it, or they are paged already): say so
            # under the field, where the person is looking.
            ack(response_action="errors",
                errors={ids.PAGE_SOMEONE_TARGET_BLOCK:
                        from_neutral(outcome.message)[:150]})
            return
        ack()
        self.d.deliver(outcome.request_id)

    # -- answers -------------------------------------------------------------------------------

    def _answered(self, body, client, respond, user: str, outcome: Outcome) -> None:
        if not outcome.changed or not from_home(body):
            # Also when it worked: whoever took it from a post or a DM hears it is theirs
            # (on the Home tab the tab itself, published again, shows it).
            self._tell(body, client, respond, from_neutral(outcome.message))
        self.d.deliver(outcome.request_id)
        if (outcome.changed or from_home(body)) and self.d.publish_home is not None:
            # The request is theirs now: their Home tab lists it with Resolve (and a
            # click on the tab itself shows it again as things stand).
            publish = self.d.publish_home
            self._later(lambda: publish(user))

    def _tell(self, body, client, respond, text: str) -> None:
        """A private answer to the person who clicked: ephemeral through response_url
        where Slack gave one; a DM from the Home tab, which has none."""
        user = body["user"]["id"]
        if respond is not None and body.get("response_url") and not from_home(body):
            self._later(lambda: respond(text=text, response_type="ephemeral",
                                        replace_original=False, **NO_UNFURL))
        else:
            self._later(lambda: client.chat_postMessage(channel=user, text=text,
                                                            **NO_UNFURL))
