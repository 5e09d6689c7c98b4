"""A lane's pause after Slack turned it away (429): when it may be called again, and
one probe call per pause (mixed into `bot.services.outbox.Outbox`, which holds
`_paused`, `_guard` and `_clock`)."""

from __future__ import annotations

from datetime import datetime, timedelta

PROBE_WAIT = timedelta(seconds=1)  # a lane's others wait this long for its probe's answer


class LanePauses:
    def _paused_until(self, lane: str) -> datetime | None:
        """When the lane may be called again (None: now). The first caller after a
        pause ends makes one call to find out whether Slack takes it again; until its
        answer, the lane's other messages wait (one probe per Retry-After, not one per
        sending thread)."""
        with self._guard:
            until = self._paused.get(lane)
            if until is None:
                return None
            now = self._clock.now()
            if until > now:
                return until
            self._paused[lane] = now + PROBE_WAIT  # held for the others while it probes
            return None

    def _resume(self, lane: str) -> None:
        with self._guard:
            self._paused.pop(lane, None)

    def _pause(self, lane: str, seconds: float) -> datetime:
        until = self._clock.now() + timedelta(seconds=seconds)
        with self._guard:
            if len(self._paused) > 10_000:
                self._paused.clear()
            self._paused[lane] = max(until, self._paused.get(lane, until))
            return self._paused[lane]
