"""The response report (`/oncall report`) as mrkdwn."""

from __future__ import annotations

from bot.services.report import Report


def format_report(report: Report) -> str:
    def dur(s: float | None) -> str:
        if s is None:
            return "-"
        return f"{s:.0f}s" if s < 90 else f"{s / 60:.1f} min"

    lines = [f"*Response report, {report.team}*: {report.total} request(s) from "
             f"{report.start:%Y-%m-%d} to {report.end:%Y-%m-%d} (UTC)"]
    if not report.languages:
        lines.append("No requests in this period.")
    if report.languages:
        lines.append("By severity:")
    for s in report.severities:
        lines.append(
            f"`{s.key}` {s.requests} filed, {s.acknowledged} acknowledged (median "
            f"{dur(s.median_ack_s)}, p90 {dur(s.p90_ack_s)}), {s.escalated} escalated")
    if report.languages:
        lines.append("By language:")
    for s in report.languages:
        lines.append(
            f"`{s.language}` {s.requests} filed, {s.acknowledged} acknowledged "
            f"(median {dur(s.median_ack_s)}, p90 {dur(s.p90_ack_s)}), {s.resolved} resolved, "
            f"{s.open} open; {s.escalated} escalated past the first step, {s.fallback} to "
            f"a backup or needing translation, {s.declines} decline(s)")
    return "\n".join(lines)
