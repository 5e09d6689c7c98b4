"""Several bot processes on one database and a policy's `ack_timeout`: each reminder and
each re-open fires once, however many reconcilers race for it (the claim's row lock,
`FOR UPDATE SKIP LOCKED` on PostgreSQL, and the escalation token)."""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import timedelta

from bot.core import ack_timeout
from bot.core.messages import ACK_REMIND
from bot.store import teams as team_store
from tests.services.test_concurrency import OMAR, Cluster, cluster, race, standin

_ = (cluster, standin)  # fixtures, used by name
T = 10 * 60


def _with_ack_timeout(c: Cluster) -> None:
    with c.runtimes[0].sessions() as session, session.begin():
        team = team_store.load_team(session, "safety-escalations")
        policies = tuple((sev, dataclasses.replace(p, ack_timeout=timedelta(seconds=T)))
                         for sev, p in team.policies)
        team_store.save_team(session, dataclasses.replace(team, policies=policies))


def test_racing_reconcilers_remind_once_and_reopen_once(cluster: Cluster):
    _with_ack_timeout(cluster)
    rids = cluster.file_many(12, "acked", "sev1", ("ar",))
    for k, rid in enumerate(rids):  # Omar takes each, from whichever process
        rt = cluster.runtimes[k % len(cluster.runtimes)]
        assert rt.escalation.acknowledge(cluster.step0_page(rid).id, OMAR).changed
    s = cluster.snapshot()
    assert all(s.requests[r].policy["ack_timeout"] == T for r in rids)

    cluster.clock.advance(T + 1)
    race(*cluster.reconcilers(per_runtime=2))
    s = cluster.snapshot()
    reminded = Counter(a.request_id for a in s.audit if a.action == "ack_reminded")
    assert reminded == Counter({r: 1 for r in rids})
    sent = Counter(o.request_id for o in s.outbox if o.kind == ACK_REMIND)
    assert sent == Counter({r: 1 for r in rids})
    assert all(s.requests[r].status == "acknowledged" for r in rids)

    cluster.clock.advance(T + 1)
    race(*cluster.reconcilers(per_runtime=2))
    s = cluster.snapshot()
    reopened = Counter(a.request_id for a in s.audit if a.action == "reopened")
    assert reopened == Counter({r: 1 for r in rids})
    assert all(s.requests[r].status == "open" for r in rids)
    for r in rids:
        fired = Counter((d.reason, d.state) for d in s.deadlines_of(r)
                        if d.reason in ack_timeout.REASONS)
        assert fired == Counter({(ack_timeout.REMIND, "fired"): 1,
                                 (ack_timeout.REOPEN, "fired"): 1}), fired
    race(*cluster.reconcilers(per_runtime=2))  # nothing left to fire
    s = cluster.snapshot()
    assert sum(a.action == "reopened" for a in s.audit) == len(rids)
