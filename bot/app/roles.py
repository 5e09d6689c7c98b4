"""What a process does by its role, the one place each difference is decided.

- `serve`: answers Slack and runs the jobs, in one process (`serve`'s default).
- `web`: answers Slack with its jobs elsewhere (`serve --no-jobs`, or the serving
  worker of `serve --jobs-process`). A filing claims only what someone waits for, the
  page DMs and a step's alerts, and sends them at once; the card, its thread and the
  notes are written pending for the jobs process (its NOTIFY wakes it): less CPU in the
  process whose answers Slack waits 3 s for.
- `worker`: the jobs alone (`oncall-bot worker`, or the jobs worker of
  `serve --jobs-process`). It leaves a received request to the web process that received it for
  `JOBS_GRACE` (bot.jobs.router says why), then routes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.core.messages import KINDS, STEP_SIDE
from bot.jobs.router import JOBS_GRACE

ROLES = ("serve", "web", "worker")


@dataclass(frozen=True)
class Role:
    name: str
    claim_on_filing: tuple[str, ...]  # kinds a filing writes claimed, to send at once
    routing_grace: timedelta | None  # route received requests only this old (None: all)


def role(name: str) -> Role:
    if name not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}, not {name!r}")
    return Role(name, STEP_SIDE if name == "web" else KINDS,
                JOBS_GRACE if name == "worker" else None)
