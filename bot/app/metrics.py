"""`/metrics` in Prometheus text format: every metric object of the bot, in one place.

Two kinds of figures, chosen for what stays true with several processes:

- **State, read from the database at scrape time** (a custom collector): requests by
  state and language, the oldest unanswered request and waiting page, the outbox
  backlog, the age of the freshest reconciler heartbeat. Every process reports the same
  values whichever one is scraped, so they carry no process label; aggregate them with
  `max()`, never `sum()`.
- **Events, counted in memory where the outcome is already known** (no statement added
  to the request path): deliveries by channel, kind and result (the outbox's settle
  hook), escalation lateness (the reconciler's hook), filing-to-page latency (the first
  page DMs of a request), requests filed inline or deferred to the router (the
  router's hook). Each process counts its own, labelled
  `process="<role>-<host>-<pid>"`, so scrapes that reach different processes behind one
  address (a platform router, a Kubernetes Service) never mix two processes' counters
  into one series that seems to reset; `sum by (...) (rate(...))` adds them up.

Why not prometheus-client's multiprocess mode: it shares counters through files in one
folder of one machine, and this bot's processes run on several machines sharing only
the database. The registry is per `Runtime` (not the library's global one), so tests
and the demo can build several apps in one interpreter.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from bot.core.messages import PAGE
from bot.services.health import Snapshot
from bot.services.outbox_items import Outcome

log = logging.getLogger(__name__)
CONTENT_TYPE = CONTENT_TYPE_LATEST
# Escalation steps should fire within a second of their deadline (PRODUCT.md); the
# buckets resolve that second and still show a stall of minutes.
LATENESS_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0)
# A page DM within 20 ms (p50) to 50 ms (p99) of filing in the benchmark; seconds when
# Slack is slow or the router is behind.
PAGE_BUCKETS = (0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
# Outbox kinds that are not Slack messages, by the channel they use. Everything else
# the outbox sends today goes to Slack.
CHANNELS = {"sms": "sms", "voice": "voice", "email": "email"}


def channel_of(kind: str) -> str:
    return next((c for prefix, c in CHANNELS.items() if kind.startswith(prefix)), "slack")


def result_of(o: Outcome) -> str | None:
    """What an attempt came to, as a label; None when no call was made: a message held
    back behind its lane or its card, or one folded into another send (an update of a
    message posted in the same batch: "sent" with no answer time)."""
    if o.action == "release":
        return "rate_limited" if o.error else None
    if o.action == "sent" and o.at is None:
        return None
    return {"sent": "sent", "failed": "failed", "retry": "retry"}.get(o.action)


class DatabaseCollector(Collector):
    """The gauges read from the database when Prometheus scrapes."""

    def __init__(self, snapshot: Callable[[], Snapshot]):
        self._snapshot = snapshot

    def collect(self) -> Iterable[Metric]:
        up = GaugeMetricFamily("oncall_database_up",
                               "1 when this scrape could read the database, else 0")
        try:
            s = self._snapshot()
        except Exception as err:  # noqa: BLE001 - a scrape must answer, saying the database is down
            log.warning("metrics: the database cannot be read (%s)", type(err).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        requests = GaugeMetricFamily("oncall_requests", "Requests kept, by state and language",
                                     labels=["state", "language"])
        for state, language, count in s.requests:
            requests.add_metric([state, language], count)
        yield requests
        yield from (
            GaugeMetricFamily("oncall_oldest_unanswered_request_seconds",
                              "Age of the oldest request nobody acknowledged yet (0: none)",
                              value=s.oldest_unanswered_request_seconds),
            GaugeMetricFamily("oncall_oldest_unacknowledged_page_seconds",
                              "Age of the oldest page of an open request still waiting for "
                              "its answer (0: none)", value=s.oldest_waiting_page_seconds),
            GaugeMetricFamily("oncall_outbox_pending", "Messages not sent yet (waiting or "
                              "being sent)", value=s.outbox_unsent),
            GaugeMetricFamily("oncall_outbox_oldest_pending_seconds",
                              "Age of the oldest message not sent yet (0: none)",
                              value=s.outbox_oldest_unsent_seconds),
            GaugeMetricFamily("oncall_outbox_oldest_due_seconds",
                              "How long the longest-due message has been due (0: none)",
                              value=s.outbox_oldest_due_seconds),
            GaugeMetricFamily("oncall_reconciler_last_run_seconds",
                              "Seconds since some reconciler (any process) completed a "
                              "pass; NaN when none ever did",
                              value=math.nan if s.reconciler_seconds is None
                              else s.reconciler_seconds),
        )


class Metrics:
    """The registry of one process and the hooks the runtime wires into the services."""

    def __init__(self, process: str, snapshot: Callable[[], Snapshot]):
        self.process = process
        self.registry = CollectorRegistry()
        self.deliveries = Counter(
            "oncall_deliveries", "Delivery attempts by channel, outbox kind and result "
            "(sent, failed for good, retry, rate_limited), counted by this process",
            ["channel", "kind", "result", "process"], registry=self.registry)
        self.lateness = Histogram(
            "oncall_escalation_lateness_seconds", "How long after its deadline an "
            "escalation step fired", ["process"], buckets=LATENESS_BUCKETS,
            registry=self.registry)
        self.page_latency = Histogram(
            "oncall_request_to_page_seconds", "From a request filed to its first page DM "
            "posted (pages sent on the filing path)", ["process"], buckets=PAGE_BUCKETS,
            registry=self.registry)
        self.filings = Counter(
            "oncall_filings", "Requests this process filed: routed as they were filed, "
            "before the acknowledgement (inline), or only committed and routed after it by "
            "the router (deferred, when others were being filed at once or the router was "
            "behind). A steady share deferred means the process is near its capacity: "
            "its page DMs wait on the router; add a web process.",
            ["how", "process"], registry=self.registry)
        self.registry.register(DatabaseCollector(snapshot))

    # -- hooks ---------------------------------------------------------------------------

    def settled(self, outcomes: list[Outcome]) -> None:
        """The outbox's settle hook: count each attempt; time each first page DM."""
        for o in outcomes:
            result = result_of(o)
            if result is None:
                continue
            self.deliveries.labels(channel_of(o.kind), o.kind, result, self.process).inc()
            if result == "sent" and o.kind == PAGE and o.filed is not None and o.at is not None:
                seconds = max((o.at - o.filed).total_seconds(), 0.0)
                self.page_latency.labels(self.process).observe(seconds)

    def filed(self, how: str) -> None:
        """The router's hook: a request taken inline or deferred (bot.jobs.router)."""
        self.filings.labels(how, self.process).inc()

    def escalation_late(self, seconds: float) -> None:
        """The reconciler's hook: a step fired `seconds` after its deadline."""
        self.lateness.labels(self.process).observe(max(seconds, 0.0))

    # -- the page ------------------------------------------------------------------------

    def render(self) -> bytes:
        return generate_latest(self.registry)
