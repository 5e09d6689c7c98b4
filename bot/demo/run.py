"""`oncall-bot demo`: the whole flow on this machine, with no Slack workspace.

The real app (Bolt behind a WSGI server), real signed HTTP requests, the real Slack
client pointed at a local Slack stand-in, a temporary SQLite database, the example
schedules and the real reconciler thread. The clock is simulated so the escalation
minutes pass in moments; everything else is as in production.

Each story shows what the people saw, as the stand-in recorded it: the page, the
ticket card and an alert (the requester's note, or the managers' alert and the
escalation channel's post), with names for mentions and times in the reader's own
zone (`readable.py`), and ends with its outcome.
"""

from __future__ import annotations

import re
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.app.runtime import Runtime
from bot.clock import ManualClock
from bot.config import Settings
from bot.core import refs, timezones
from bot.demo.local_server import LocalServer
from bot.demo.readable import Readable
from bot.demo.simulate import SlackSimulator
from bot.demo.slack_standin import SlackStandIn
from bot.slack import ids

SECRET = "demo-signing-secret"
TOKEN = "xoxb-demo-token"
START = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)  # a Wednesday: Dublin's day shift is on
REQUESTER = "U0REQ0001"
# People the example file names only by id, as the stand-in's users (name, zone).
EXTRA_PEOPLE = {
    REQUESTER: ("Alex Kim", "Europe/London"),
    "U0MGR0001": ("Ines Duarte", "Europe/Dublin"),
    "U0MGR0002": ("Tom Becker", "America/Chicago"),
}

SPANISH = ("Hay un video en vivo de un chico amenazando con quitarse la vida esta noche, "
           "necesito ayuda urgente")
ARABIC = "شخص يهدد بإيذاء نفسه في بث مباشر الآن، نحتاج مساعدة عاجلة"
PORTUGUESE = ("Usuário está transmitindo ao vivo ameaças contra uma escola, "
              "por favor verifiquem agora")
GRAPHIC = ("A live stream shows a man being beaten in a car park right now; the uploader "
           "is filming and laughing")


class DemoFailed(Exception):
    pass


class Demo:
    def __init__(self, schedules: Path, out=sys.stdout):
        self.out = out
        self.tmp = tempfile.TemporaryDirectory(prefix="oncall-demo-")
        self.standin = SlackStandIn(tokens=[TOKEN]).start()
        self.clock = ManualClock(START)
        settings = Settings(slack_bot_token=TOKEN, slack_signing_secret=SECRET,
                            slack_api_url=self.standin.url,
                            database_url=f"sqlite:///{Path(self.tmp.name) / 'demo.db'}",
                            schedules_path=schedules)
        self.runtime = Runtime(settings, clock=self.clock, tick_interval=0.05)
        self.teams = self.runtime.bootstrap(schedules)
        self.server = LocalServer(self.runtime.wsgi).start()
        self.slack = SlackSimulator(self.server.url, SECRET,
                                    response_origin=self.standin.origin)
        self.runtime.warm_up()
        self.runtime.start_jobs()
        team = self.runtime.rosters.get(self.teams[0]).team
        self.team = team
        self._add_people()
        self.read = Readable(
            lambda user: (self.standin.user(user) or {}).get("real_name"),
            channels={team.intake_channel: "intake", team.escalation_channel: "escalations"},
            groups={team.manager_group: "managers"} if team.manager_group else None)
        self.first_pages: dict[tuple[str, int], dict] = {}

    def _add_people(self) -> None:
        """The team's people as the stand-in's users: Slack shows a mention as the
        person's name, and a date token in the reader's own zone."""
        for spec in self.team.specialists:
            self.standin.add_user(spec.id, real_name=spec.name, tz=spec.timezone)
        for n, user in enumerate(self.team.managers, 1):
            if self.team.specialist(user) is None:
                name, zone = EXTRA_PEOPLE.get(user, (f"Manager {n}", "UTC"))
                self.standin.add_user(user, real_name=name, tz=zone)
        self.standin.add_user(REQUESTER, real_name=EXTRA_PEOPLE[REQUESTER][0],
                              tz=EXTRA_PEOPLE[REQUESTER][1])

    def close(self) -> None:
        self.runtime.close()
        self.server.stop()
        self.standin.stop()
        self.tmp.cleanup()

    # -- helpers -------------------------------------------------------------------------

    def say(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    def name(self, user: str | None) -> str:
        spec = self.runtime.rosters.get(self.team.name).specialist(user or "")
        if spec is None and user:
            known = (self.standin.user(user) or {}).get("real_name")
            return f"{known} ({user})" if known else user
        return f"{spec.name} ({user})" if spec else (user or "nobody")

    def zone(self, user: str) -> str:
        return (self.standin.user(user) or {}).get("tz") or "UTC"

    def show(self, title: str, message: dict | None, reader: str) -> None:
        """A message as `reader` saw it (their zone), indented under `title`."""
        if message is None:
            return
        zone = self.zone(reader)
        self.say(f"  {title} (times in {zone}):")
        for line in self.read.message(message, zone):
            self.say(f"    | {line}" if line.strip() else "    |")

    def posted(self, channel: str, ticket: str, top: bool = True) -> list[dict]:
        """Messages in a channel or DM naming `ticket` (thread replies left out)."""
        mark = re.compile(rf"\b{re.escape(ticket)}\b")
        return [m for m in self.standin.messages_to(channel)
                if mark.search(m.get("text") or "") and not (top and m.get("thread_ts"))]

    def story_end(self, request_id: int, reader: str, alerts: list[tuple[str, str]]) -> None:
        """What the people saw in this story, then its outcome. `alerts`: (whose DM or
        which channel, the person whose view is shown)."""
        view = self.runtime.requests.request_view(request_id)
        self.show(f"The page {self.name(reader).split(' (')[0]} got",
                  self.first_pages.get((reader, request_id)), reader)
        cards = self.posted(self.team.intake_channel, view.ticket)
        self.show("The ticket card in #intake, as it stands, as the requester reads it",
                  cards[0] if cards else None, REQUESTER)
        for where, reader_of in alerts:
            found = self.posted(where, view.ticket)
            label = ("#escalations" if where == self.team.escalation_channel
                     else self.name(where).split(" (")[0] + "'s DM")
            self.show(f"The last alert in {label}", found[-1] if found else None, reader_of)
        self.say(f"  Outcome: {self._outcome(view)}")

    def _outcome(self, view) -> str:
        who = self.name(view.assignee).split(" (")[0] if view.assignee else "nobody"
        if view.status == "resolved":
            took = _span(view.resolved - view.created)
            note = f": {view.outcome}" if view.outcome else ""
            return f"{view.ticket} resolved by {who}, {took} after it was filed{note}"
        if view.status == "acknowledged":
            took = _span(view.acknowledged - view.created)
            return f"{view.ticket} acknowledged by {who}, {took} after it was filed"
        if view.exhausted:
            return (f"{view.ticket} is still open: every escalation step ran and nobody "
                    "acknowledged; the managers were alerted and #escalations was asked")
        return f"{view.ticket} is {view.status}"

    def file(self, text: str, sev: str) -> int:
        before = len(self.runtime.requests.open_requests())
        r = self.slack.command("/emergency", f"{sev} {text}", REQUESTER,
                               self.team.intake_channel)
        if r.status != 200:
            raise DemoFailed(f"/emergency answered HTTP {r.status}: {r.text}")
        said = self.read.text(r.json().get("text") or "", self.zone(REQUESTER))
        self.say(f"  Slack shows the requester (privately): {said}")
        reqs = self.runtime.requests.open_requests()
        if len(reqs) != before + 1:
            raise DemoFailed("the request was not stored")
        return reqs[-1].id

    def page_for(self, user: str, request_id: int, timeout: float = 5.0) -> str:
        """The page id of `request_id`'s page DM to `user`, once it has reached Slack.
        (The person may hold pages of earlier requests: wait for this request's.)"""
        def page_of(call) -> str | None:
            if call.method != "chat.postMessage" or call.params.get("channel") != user:
                return None
            for block in call.params.get("blocks") or []:
                for el in block.get("elements", []):
                    if (el.get("action_id") == ids.ACK
                            and self._page_request(int(el["value"])) == request_id):
                        return el["value"]
            return None

        try:
            calls = self.standin.wait_for(lambda call: page_of(call) is not None,
                                          timeout=timeout, description=f"a page DM to {user}")
        except AssertionError as err:  # the stand-in says what it recorded instead
            raise DemoFailed(f"no page for T-{request_id} reached {self.name(user)}") from err
        call = next(c for c in reversed(calls) if page_of(c) is not None)
        self.first_pages.setdefault((user, request_id), call.params)
        return page_of(call)

    def _page_request(self, page_id: int) -> int:
        from bot.store.paging_tables import PageRow

        with self.runtime.reads() as session:
            return session.get(PageRow, page_id).request_id

    def paged_users(self, request_id: int) -> list[str]:
        from bot.store.paging_tables import PageRow

        with self.runtime.reads() as session:
            rows = session.query(PageRow).filter_by(request_id=request_id).order_by(PageRow.id)
            return [p.user for p in rows]

    def click(self, action: str, value: str, user: str) -> None:
        r = self.slack.click(action, value, user)
        if r.status != 200:
            raise DemoFailed(f"{action} answered HTTP {r.status}")

    def settle(self) -> None:
        """Wait until the outbox is empty (the job delivers it)."""
        deadline = time.monotonic() + 10
        while self.runtime.outbox.pending():
            if time.monotonic() > deadline:
                raise DemoFailed("messages are stuck in the outbox")
            time.sleep(0.02)

    def minutes(self, n: int) -> None:
        for _ in range(n):
            self.clock.advance(timedelta(minutes=1))
            self.runtime.jobs.wake()
            time.sleep(0.08)
        self.settle()

    # -- the story -----------------------------------------------------------------------

    def run(self) -> None:
        roster = self.runtime.rosters.get(self.team.name)
        self.say(f"oncall-bot demo: team {self.team.name} ({len(self.team.specialists)} "
                 f"specialists, {len(self.team.rotations)} rotations), simulated time "
                 f"{START:%Y-%m-%d %H:%M} UTC")
        self.say(f"  app at {self.server.url}/slack/events, Slack stand-in at "
                 f"{self.standin.url}")
        for lang in ("es", "ar", "pt"):
            on = roster.on_call_for(lang, START)
            self.say(f"  on call for {lang}: "
                     + (", ".join(self.name(a.user) for a in on) or "nobody"))

        self.say("\n1. A Spanish request; the on-call reader acknowledges and resolves it")
        t1 = self.file(SPANISH, "sev2")
        es = self.runtime.requests.request_view(t1)
        reader = self.paged_users(t1)[0]
        page = self.page_for(reader, t1)
        self.say(f"  detected {es.language} ({es.confidence:.0%}); paged {self.name(reader)}")
        self.clock.advance(timedelta(seconds=40))
        self.click(ids.ACK, page, reader)
        self.clock.advance(timedelta(minutes=12))
        self.click(ids.RESOLVE, str(t1), reader)
        self.standin.wait_for_calls("views.open", 1)
        r = self.slack.submit_view(ids.RESOLVE_MODAL, {ids.OUTCOME_BLOCK: {ids.OUTCOME_ACTION: {
            "type": "plain_text_input", "value": "Stream removed; local emergency services "
                                                 "alerted with the user's location"}}},
            reader, private_metadata=str(t1))
        if r.status != 200:
            raise DemoFailed(f"resolve answered HTTP {r.status}")
        self.settle()
        self.story_end(t1, reader, [(REQUESTER, REQUESTER)])

        self.say("\n2. An Arabic request; the on-call reader declines, an opted-in backup "
                 "takes it")
        t2 = self.file(ARABIC, "sev1")
        first = self.paged_users(t2)[0]
        page = self.page_for(first, t2)
        self.clock.advance(timedelta(seconds=30))
        self.click(ids.DECLINE, page, first)
        self.settle()
        nxt = [u for u in self.paged_users(t2) if u != first]
        if not nxt:
            raise DemoFailed("the decline did not move the request on")
        page = self.page_for(nxt[0], t2)
        self.clock.advance(timedelta(seconds=50))
        self.click(ids.ACK, page, nxt[0])
        self.settle()
        self.story_end(t2, first, [(REQUESTER, REQUESTER)])

        self.say("\n3. A Portuguese sev1 request that nobody acknowledges: the full escalation")
        t3 = self.file(PORTUGUESE, "sev1")
        self.page_for(self.paged_users(t3)[0], t3)
        self.minutes(40)
        self.settle()
        manager = self.team.managers[0] if self.team.managers else REQUESTER
        self.story_end(t3, self.paged_users(t3)[0],
                       [(manager, manager), (self.team.escalation_channel, manager)])

        self.say("\n4. A graphic request: its text stays off the channel and the alerts; the "
                 "reader opens it on purpose, and that is recorded")
        t4 = self.file(f"graphic lang:en {GRAPHIC}", "sev2")
        reader4 = self.paged_users(t4)[0]
        page = self.page_for(reader4, t4)
        self.clock.advance(timedelta(seconds=45))
        self.click(ids.ACK, page, reader4)
        opened = len(self.standin.calls_to("views.open"))
        self.click(ids.SHOW_DETAILS, str(t4), reader4)
        self.standin.wait_for_calls("views.open", opened + 1)
        self.settle()
        self.say(f"  {self.name(reader4).split(' (')[0]} opened the details: the text and "
                 "link are in that window only")
        self.story_end(t4, reader4, [(REQUESTER, REQUESTER)])

        self.say("\nTimeline (simulated time, UTC)")
        for rid in (t1, t2, t3, t4):
            view = self.runtime.requests.request_view(rid)
            self.say(f"\n  {view.ticket}  {view.severity}  {view.language}  {view.status}"
                     f"{'  (escalation finished, nobody answered)' if view.exhausted else ''}")
            for e in self.runtime.requests.timeline(rid):
                self.say(f"    {timezones.utc(e.at):%H:%M:%S}  {self._plain(e.text)}")
        counts = Counter(c.method for c in self.standin.calls)
        self.say("\nSlack Web API calls the stand-in received: "
                 + ", ".join(f"{m} x{n}" for m, n in sorted(counts.items())))
        self._check(t1, t2, t3, t4)
        self.say("\nDemo finished: every flow behaved as expected.")

    def _plain(self, text: str) -> str:
        """A service's text for the console: people by name, the rest as plain text."""
        return refs.render(text, {
            "@": lambda user: self.name(user).split(" (")[0],
            "#": lambda c: "#" + self.read.channel_name(c),
            "!": lambda g: "@" + g, "/": lambda c: "/" + c})

    def _check(self, t1: int, t2: int, t3: int, t4: int) -> None:
        v1, v2, v3, v4 = (self.runtime.requests.request_view(t) for t in (t1, t2, t3, t4))
        problems = []
        # The graphic request's words reached Slack only in the details window.
        seen_elsewhere = [c.method for c in self.standin.calls
                          if "car park" in str(c.params) and c.method != "views.open"]
        if not v4.sensitive or seen_elsewhere:
            problems.append(f"{v4.ticket}'s text reached Slack outside its details "
                            f"({', '.join(seen_elsewhere)})")
        if "details_viewed" not in [e.action for e in self.runtime.requests.timeline(t4)]:
            problems.append(f"opening {v4.ticket}'s details was not recorded")
        if v1.status != "resolved":
            problems.append(f"{v1.ticket} should be resolved, is {v1.status}")
        if v2.status != "acknowledged":
            problems.append(f"{v2.ticket} should be acknowledged, is {v2.status}")
        if not (v3.status == "open" and v3.exhausted):
            problems.append(f"{v3.ticket} should have escalated to the end")
        if self.runtime.outbox.pending():
            problems.append("messages left undelivered")
        if problems:
            raise DemoFailed("; ".join(problems))


def _span(delta: timedelta) -> str:
    minutes, seconds = divmod(int(delta.total_seconds()), 60)
    if not minutes:
        return f"{seconds} s"
    return f"{minutes} min {seconds} s" if seconds else f"{minutes} min"


def run_demo(schedules: Path, out=sys.stdout) -> int:
    if not schedules.exists():
        print(f"oncall-bot demo: {schedules} does not exist; run it from the repository "
              "root, or give the example's folder with --schedules", file=sys.stderr)
        return 1
    demo = Demo(schedules, out)
    try:
        demo.run()
    except DemoFailed as err:
        print(f"oncall-bot demo: FAILED: {err}", file=sys.stderr)
        return 1
    finally:
        demo.close()
    return 0
