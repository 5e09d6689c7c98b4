"""`/oncall`: parse with the one grammar, call one service, reply privately.

Times in replies are Slack date tokens, so every reader sees them in their own zone.
Edits are applied by `RotationService` (one transaction, audited, DMs to the people
whose shifts moved); this module only translates.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial

from slack_sdk.errors import SlackApiError

from bot.charts.child import ChartError
from bot.clock import Clock
from bot.core import refs
from bot.core.edit_options import parse_rotation_options
from bot.core.edits import EditError
from bot.core.roster import Roster
from bot.services import schedules as schedule_svc
from bot.services.errors import ServiceError
from bot.services.requests import RequestService
from bot.services.rotations import RotationService, StaleEdit
from bot.slack import chart, home, ids, render
from bot.slack import grammar as g
from bot.slack.breaks import BreakDeps, Breaks
from bot.slack.charted import answer_with_chart, with_chart
from bot.slack.crisis_mode import run_crisis_mode
from bot.slack.exposure import home_exposure, run_exposure
from bot.slack.oncall_category import run_category
from bot.slack.oncall_commands import CATEGORY_COMMANDS
from bot.slack.oncall_examples import personal_error, personal_examples
from bot.slack.oncall_replies import (
    Reply,
    me_reply,
    paging_reply,
    shifts_reply,
    who_reply,
)
from bot.slack.oncall_specialist import specialist_reply
from bot.slack.permissions import ManagerDirectory
from bot.slack.render import blocks as kit
from bot.slack.rotation_modal import (
    parse_rotation_submission,
    rotation_modal,
    rotation_modal_metadata,
)
from bot.slack.text import NO_UNFURL, from_neutral
from bot.slack.trends import run_trends

log = logging.getLogger(__name__)


@dataclass
class OncallDeps:
    rotations: RotationService
    paging: RequestService
    managers: ManagerDirectory
    clock: Clock
    deliver: Callable[[], None]
    reports_session_factory: Callable
    feeds: object | None = None  # FeedService: issue(team, scope, subject, actor) -> url
    enqueue_direct: Callable[[list[tuple[str, dict]]], int] = lambda messages: 0
    pauses: object | None = None  # PauseService (breaks)
    checkins: object | None = None  # CheckinService (the check-in's answers)
    crises: object | None = None  # CrisisService (crisis mode)
    sweeps: object | None = None  # SweepService (sweeps)


def _when(lt: g.LocalTime, end: bool = False) -> date | datetime:
    """Grammar boundary -> what the services take: a date (inclusive) or a date-time."""
    if lt.date_only:
        return lt.last_day if end else lt.at.date()
    return lt.at


class OncallCommands:
    def __init__(self, deps: OncallDeps):
        self.d = deps
        self.breaks = Breaks(BreakDeps(deps.pauses, deps.checkins, lambda u: self._roster(u).team,
                                       deps.managers.is_manager, deps.clock, deps.deliver,
                                       deps.enqueue_direct, self.publish_home))

    # -- helpers ---------------------------------------------------------------------------

    def _roster(self, user: str) -> Roster:
        name = self.d.rotations.team_name(None, user)
        return self.d.rotations.rosters.get(name)

    def _require_manager(self, roster: Roster, user: str, what: str) -> None:
        if not self.d.managers.is_manager(roster.team, user):
            raise ServiceError(f"only managers ({self.d.managers.describe_managers(roster.team)})"
                               f" can {what}")

    def _line(self, roster: Roster, a) -> str:
        spec = roster.specialist(a.user) if a.user else None
        who = f"<@{a.user}>" if a.user else "*nobody*"
        langs = f" ({', '.join(spec.languages)})" if spec else ""
        mark = {"override": " _override_", "substitute": " _covering_",
                "uncovered": " *UNCOVERED*"}.get(a.kind, "")
        return (f"• {render.slack_date(a.start)} → {render.slack_date(a.end)}  "
                f"`{a.rotation}` {who}{langs}{mark}")

    def _personal(self, err: g.CommandError, user: str) -> g.CommandError:
        try:
            roster = self._roster(user)
        except ServiceError:
            return err
        return personal_error(err, roster, user, self.d.clock.now())

    def _parse(self, text: str, user: str) -> g.Command:
        """Parse, reading typed dates and times (today, mon, +2h, 18:00) in the zone the
        command's times are in: the rotation's for `override`, the person's for `away`
        (someone else's when a manager marks them away), the asker's otherwise. That
        zone is known only once the command is parsed, so a command in another zone is
        parsed again in it (parsing is pure and cheap)."""
        now = self.d.clock.now()
        try:
            roster = self._roster(user)
        except ServiceError:
            return g.parse(text, g.Clockface(now, "UTC"))
        own = roster.specialist(user)
        mine = own.timezone if own else "UTC"
        cmd = g.parse(text, g.Clockface(now, mine))
        zone = mine
        if isinstance(cmd, g.OverrideCmd):
            rot = roster.team.rotation(cmd.rotation)
            zone = rot.timezone if rot else mine
        elif isinstance(cmd, g.Away) and cmd.user:
            other = roster.specialist(cmd.user)
            zone = other.timezone if other else mine
        return cmd if zone == mine else g.parse(text, g.Clockface(now, zone))

    # -- the command -----------------------------------------------------------------------

    def handle(self, ack, body, client, command, respond) -> None:
        say, user = partial(ack, response_type="ephemeral", **NO_UNFURL), command["user_id"]
        try:
            cmd = self._parse(command.get("text") or "", user)
        except g.CommandError as err:
            say(text=str(self._personal(err, user)))
            return
        try:
            if isinstance(cmd, (g.RotationCreateModal, g.RotationEdit)):
                self._open_rotation_modal(ack, body, client, user, cmd)
                return
            if isinstance(cmd, g.Coverage):
                say(text="Drawing the coverage chart...")
                self._coverage(client, command, user, cmd.days, respond)
                return
            if with_chart(cmd):  # report, crisis end: the words now, the chart after
                answer_with_chart(self.d, self._roster(user), user, cmd, say, client, respond)
                return
            later: list[tuple[str, dict]] = []  # swap/cover asks: DMs through the outbox
            reply = self._run(cmd, user, later)
            # Written before Slack hears back, so a crash cannot lose them; sent after,
            # so a dozen DMs never eat into Slack's 3 seconds.
            self.d.enqueue_direct(later)
        except (ServiceError, EditError) as err:
            say(text=from_neutral(f":warning: {err}"))
            return
        # The reply carries the services' references; rendered here, once.
        if isinstance(reply, Reply):  # me, who, shifts, report: blocks and their text
            say(text=from_neutral(reply.text), blocks=reply.blocks)
        else:
            say(text=from_neutral(reply))
        self.d.deliver()

    def _run(self, cmd, user: str, later: list) -> str | Reply:  # noqa: C901 - one branch per command
        r = self.d.rotations
        if isinstance(cmd, g.Help):
            return self._help(user, cmd.topic)
        if isinstance(cmd, g.Who):
            return self._who(user, cmd.language, cmd.category)
        if isinstance(cmd, g.Me):
            return me_reply(r.me_view(user))
        if isinstance(cmd, g.Exposure):
            roster = self._roster(user)
            return run_exposure(self.d.reports_session_factory, roster, user,
                                self.d.managers.is_manager(roster.team, user),
                                self.d.clock.now(), cmd.days)
        if isinstance(cmd, g.Trends):  # managers only; the digest, privately
            return run_trends(self.d, self._roster(user), user, cmd.hours)
        if isinstance(cmd, g.Shifts):
            return self._shifts(user, cmd)
        if isinstance(cmd, g.RotationList):
            return r.list_rotations()
        if isinstance(cmd, g.RotationShow):
            return r.show_rotation(cmd.name)
        if isinstance(cmd, g.RotationDelete):
            return r.delete_rotation(user, cmd.name).text
        if isinstance(cmd, g.RotationCreate):
            f = dict(cmd.fields)
            start, end = f.pop("shift")
            return r.create_rotation(user, cmd.name, f.pop("timezone"), start, end,
                                     days=f.get("days"), handoff_days=f.get("handoff", 7),
                                     start=f.get("start"), tier=f.get("tier", "primary")).text
        if isinstance(cmd, g.RotationSet):
            return r.set_rotation(user, cmd.name, **cmd.fields).text
        if isinstance(cmd, g.RotationAdd):
            return r.add_member(user, cmd.name, cmd.user, cmd.position).text
        if isinstance(cmd, g.RotationRemove):
            return r.remove_member(user, cmd.name, cmd.user).text
        if isinstance(cmd, g.RotationMove):
            return r.move_member(user, cmd.name, cmd.user, cmd.position).text
        if isinstance(cmd, g.OverrideCmd):
            return r.override(user, cmd.rotation, cmd.user, _when(cmd.start),
                              _when(cmd.end, end=True)).text
        if isinstance(cmd, g.Away):
            return r.away(user, _when(cmd.start), _when(cmd.end, end=True), cmd.user).text
        if isinstance(cmd, g.SpecialistCmd):
            return self._specialist(user, cmd)
        if isinstance(cmd, g.SkillsCmd):
            if cmd.action is None:
                return r.skills_text(cmd.user, asker=user)
            change = {"add" if cmd.action == "add" else "remove": cmd.skills}
            return r.change_skills(user, cmd.user, **change).text
        if isinstance(cmd, g.Swap):
            return self._swap(user, cmd, later)
        if isinstance(cmd, g.Cover):
            return self._cover(user, cmd, later)
        if isinstance(cmd, g.Export):
            return self._export(user, cmd)
        if isinstance(cmd, g.Pause):
            return self.breaks.command(user, cmd)
        if isinstance(cmd, (g.CrisisCmd, g.SweepCmd)):  # bot/slack/crisis_mode.py
            return run_crisis_mode(self.d, self._roster(user), user, cmd)
        if isinstance(cmd, CATEGORY_COMMANDS):
            return run_category(r, user, cmd)
        raise ServiceError(f"`{cmd.command}` is not available yet")

    def _help(self, user: str, topic: str | None) -> str:
        try:
            roster = self._roster(user)
        except ServiceError:
            return g.help_text(topic)
        return g.help_text(topic, specialist=roster.specialist(user) is not None,
                           manager=self.d.managers.is_manager(roster.team, user),
                           examples=personal_examples(roster, user, self.d.clock.now()))

    def _who(self, user: str, language: str | None, category: str | None = None) -> Reply:
        roster = self._roster(user)
        now = self.d.clock.now()
        if language or category:
            # Routing's own answer: who a request would page now, in order, who is busy.
            langs = (language,) if language else roster.team.languages
            orders = self.d.paging.paging_orders(roster.team.name, langs, category, now)
            return paging_reply(roster, orders, category is not None)
        ans = schedule_svc.who(roster, now, language)
        if language:
            if not ans.on_call:
                extra = (" Off-shift backups: " + ", ".join(f"<@{u}>" for u in ans.backups)
                         if ans.backups else "")
                return who_reply(roster, ans, f"Nobody on call reads "
                                 f"{render.language_name(language)} now.{extra}")
            lines = [f"*On call for {render.language_name(language)}*, best first:"]
            lines += [self._line(roster, a) for a in ans.on_call]
            return who_reply(roster, ans, "\n".join(lines))
        lines = ["*On call now*"] + [self._line(roster, a) for a in ans.on_call]
        for lang in roster.team.languages:
            on = roster.on_call_for(lang, now)
            lines.append(f"`{lang}` " + (", ".join(f"<@{a.user}>" for a in on) or "*nobody*"))
        return who_reply(roster, ans, "\n".join(lines))

    def _shifts(self, user: str, cmd: g.Shifts) -> Reply:
        roster = self._roster(user)
        now = self.d.clock.now()
        subject = cmd.user
        if cmd.rotation is None and subject is None and roster.specialist(user) is not None:
            subject = user  # `/oncall shifts` alone: the caller's own (see `help shifts`)
        found = schedule_svc.shifts(roster, now, cmd.days, cmd.rotation, subject)
        what = (f"`{cmd.rotation}`" if cmd.rotation else f"<@{subject}>" if subject
                else "all rotations")
        lines = [f"*Shifts of {what}, next {cmd.days} day(s)*"]
        lines += [self._line(roster, a) for a in found[:40]] or ["(no shifts)"]
        if len(found) > 40:
            lines.append(f"...and {len(found) - 40} more; try a shorter span")
        return shifts_reply(roster, found, what, cmd.days, subject == user, "\n".join(lines))

    def _specialist(self, user: str, cmd: g.SpecialistCmd) -> str:
        roster = self._roster(user)
        return specialist_reply(self.d.rotations, roster,
                                self.d.managers.is_manager(roster.team, user), user, cmd)

    def _swap(self, user: str, cmd: g.Swap, later: list) -> str:
        proposal = self.d.rotations.request_swap(user, cmd.user, cmd.day)
        value = proposal.to_value()
        # The DM's text stays neutral (the sender renders it); its blocks are Slack's.
        later.append((cmd.user, dict(
            text=f"{refs.person(user)} asks to swap shifts: {proposal.text}",
            blocks=[kit.section(from_neutral(f":arrows_counterclockwise: <@{user}> asks to "
                                             f"swap shifts with you.\n{proposal.text}")),
                    {"type": "actions", "block_id": "swap_actions", "elements": [
                        {"type": "button", "action_id": ids.SWAP_ACCEPT, "style": "primary",
                         "text": {"type": "plain_text", "text": "Accept"}, "value": value},
                        {"type": "button", "action_id": ids.SWAP_DECLINE,
                         "text": {"type": "plain_text", "text": "Decline"}, "value": value}]}])))
        return f"Asked {refs.person(cmd.user)}: {proposal.text}"

    def _cover(self, user: str, cmd: g.Cover, later: list) -> str:
        proposal = self.d.rotations.request_cover(user, _when(cmd.start),
                                                  _when(cmd.end, end=True))
        roster = self._roster(user)
        me = roster.specialist(user)
        # Ask the readers of the asker's strongest language (everyone reads English, and
        # asking the whole team helps nobody), except people away when it starts.
        first = me.languages[0] if me and me.languages else None
        starts = self.d.clock.now()
        asked = [s.id for s in roster.team.specialists
                 if s.id != user and first in s.languages
                 and not roster.is_away(s.id, starts)]
        for other in asked:
            later.append((other, dict(
                text=f"{refs.person(user)} asks for cover: {proposal.text}",
                blocks=[kit.section(from_neutral(f":raising_hand: <@{user}> asks for cover.\n"
                                                 f"{proposal.text}")),
                        {"type": "actions", "block_id": "cover_actions", "elements": [
                            {"type": "button", "action_id": ids.COVER_ACCEPT, "style": "primary",
                             "text": {"type": "plain_text", "text": "I'll cover it"},
                             "value": proposal.to_value()}]}])))
        lang = render.language_name(first) if first else "your languages"
        return (f"Asked {len(asked)} specialist(s) who read {lang}: {proposal.text}"
                if asked else f"Nobody else reads {lang}; ask a manager.")

    def _export(self, user: str, cmd: g.Export) -> str:
        if self.d.feeds is None:
            raise ServiceError("calendar feeds need ONCALL_PUBLIC_URL (the bot's public URL)")
        roster = self._roster(user)
        if cmd.rotation:
            if roster.team.rotation(cmd.rotation) is None:
                raise ServiceError(f"no rotation named '{cmd.rotation}'")
            # Issuing a rotation's feed revokes the link everyone subscribed to, so it is
            # a manager's decision, like editing the rotation.
            self._require_manager(roster, user, "export a rotation's calendar (that "
                                  "replaces the link everyone subscribed to). You can "
                                  f"export your own with {refs.command('oncall export')}.")
            scope, subject = "rotation", cmd.rotation
        else:
            subject = cmd.user or user
            if subject != user:
                self._require_manager(roster, user, "export someone else's calendar")
            scope = "user"
        url = self.d.feeds.issue(roster.team.name, scope, subject, user)
        return (f"Your calendar feed (keep it secret; running `/oncall export` again "
                f"replaces it):\n{url}\nIn Google Calendar: Other calendars → From URL. "
                "In Outlook: Add calendar → Subscribe from web.")

    def _coverage(self, client, command: dict, user: str, days: int, respond) -> None:
        try:
            roster = self._roster(user)
            now = self.d.clock.now()
            start = now.replace(minute=0, second=0, microsecond=0)
            png = chart.coverage_chart(roster, start, days)
            gaps = roster.coverage_gaps(start, start + timedelta(days=days))
            spec = roster.specialist(user)
            text = chart.gap_list_text(gaps, spec.timezone if spec else None)
            client.files_upload_v2(channel=command.get("channel_id"), content=png,
                                   filename=f"coverage-{start:%Y%m%d}-{days}d.png",
                                   title=f"Coverage, next {days} days",
                                   initial_comment=f"Coverage for the next {days} day(s):\n"
                                                   f"{text}")
        except (ServiceError, SlackApiError, ValueError, ChartError) as err:
            log.warning("coverage chart failed: %s", err)
            respond(text=f":warning: could not post the chart: {err}",
                    response_type="ephemeral")

    # -- modals ------------------------------------------------------------------------------

    def _open_rotation_modal(self, ack, body, client, user: str, cmd) -> None:
        roster = self._roster(user)
        self._require_manager(roster, user, "create or edit rotations")
        rot = None
        if isinstance(cmd, g.RotationEdit):
            rot = roster.team.rotation(cmd.name)
            if rot is None:
                raise ServiceError(f"no rotation named '{cmd.name}'; rotations: "
                                   + ", ".join(r.name for r in roster.team.rotations))
        view = rotation_modal(roster.team, rot, [])
        meta = json.loads(view.get("private_metadata") or "{}")
        meta["revision"] = self.d.rotations.revision(roster.team.name)
        view["private_metadata"] = json.dumps(meta)
        ack()
        client.views_open(trigger_id=body["trigger_id"], view=view)

    def rotation_submitted(self, ack, body, view) -> None:
        user = body["user"]["id"]
        team, editing = rotation_modal_metadata(view.get("private_metadata"))
        try:
            revision = json.loads(view.get("private_metadata") or "{}").get("revision")
        except ValueError:
            revision = None
        fields, errors = parse_rotation_submission(view["state"]["values"], name=editing)
        if errors:
            ack(response_action="errors", errors=errors)
            return
        r = self.d.rotations
        try:
            members = fields.pop("members", [])
            name = fields.pop("name", editing)
            opts = parse_rotation_options({k: v if isinstance(v, str) else
                                           ",".join(v) for k, v in fields.items()})
            if editing:
                result = r.set_rotation(user, editing, team=team, expected_revision=revision,
                                        members=tuple(members), **opts)
            else:
                # Members are checked before anything is saved: a rotation created and
                # then refused its members would leave the modal unable to submit again
                # ("already a rotation named ...").
                roster = r.rosters.get(r.team_name(team, user))
                strangers = [m for m in members if roster.specialist(m) is None]
                if strangers:
                    ack(response_action="errors", errors={ids.ROTATION_MEMBERS_BLOCK: (
                        f"Not a specialist of {roster.team.name}: {', '.join(strangers)}. "
                        "Add them with /oncall specialist first.")[:150]})
                    return
                shift_start, shift_end = opts.pop("shift_start"), opts.pop("shift_end")
                result = r.create_rotation(user, name, opts.pop("timezone"), shift_start,
                                           shift_end, team=team, expected_revision=revision,
                                           **opts)
                for m in members:
                    result = r.add_member(user, name, m, team=team)
        except (ServiceError, EditError) as err:
            block = (_field_block(str(err), editing) if not isinstance(err, StaleEdit)
                     else _field_block("", editing))
            ack(response_action="errors", errors={block: from_neutral(str(err))[:150]})
            return
        ack()
        log.info("rotation modal by %s: %s", user, result.text)
        self.d.deliver()

    # -- swap / cover buttons ------------------------------------------------------------------

    def _button(self, ack, body, respond, fn) -> None:
        ack()
        user = body["user"]["id"]
        value = body["actions"][0]["value"]
        try:
            text = fn(value, user)
        except (ServiceError, EditError) as err:
            respond(text=from_neutral(f":warning: {err}"), response_type="ephemeral",
                    replace_original=False)
            return
        respond(text=from_neutral(text), replace_original=True)
        self.d.deliver()

    def swap_accept(self, ack, body, respond) -> None:
        self._button(ack, body, respond, lambda v, u: self.d.rotations.accept_swap(v, u).text)

    def swap_decline(self, ack, body, respond) -> None:
        self._button(ack, body, respond, self.d.rotations.decline_swap)

    def cover_accept(self, ack, body, respond) -> None:
        self._button(ack, body, respond, lambda v, u: self.d.rotations.accept_cover(v, u).text)

    # -- App Home ----------------------------------------------------------------------------

    def publish_home(self, client, user: str) -> None:
        try:
            roster = self._roster(user)
        except ServiceError:
            return
        mine = [r for r in self.d.paging.open_requests()
                if r.assignee == user or user in r.paged]
        waiting, alerts = self.d.paging.waiting_for(user)
        manager, now = self.d.managers.is_manager(roster.team, user), self.d.clock.now()
        view = home.home_view(user, roster, now, mine, manager, waiting=waiting, alerts=alerts,
                              paused_until=self.d.pauses
                              and self.d.pauses.paused_until(roster.team.name, user),
                              exposure=home_exposure(self.d.reports_session_factory, roster,
                                                     user, manager, now))
        client.views_publish(user_id=user, view=view)


# Which form field a service's refusal is about, by the words it uses.
_FIELD_WORDS = (
    ("member", ids.ROTATION_MEMBERS_BLOCK), ("zone", ids.ROTATION_TIMEZONE_BLOCK),
    ("shift", ids.ROTATION_SHIFT_START_BLOCK), ("days", ids.ROTATION_DAYS_BLOCK),
    ("handoff", ids.ROTATION_HANDOFF_BLOCK), ("start", ids.ROTATION_START_BLOCK),
    ("tier", ids.ROTATION_TIER_BLOCK),
)


def _field_block(message: str, editing: str | None) -> str:
    low = message.lower()
    for word, block in _FIELD_WORDS:
        if word in low:
            return block
    # The create form has a name field; the edit form shows whole-form errors on the zone.
    return ids.ROTATION_TIMEZONE_BLOCK if editing else ids.ROTATION_NAME_BLOCK
