"""Slack rendering: transport-neutral views (`bot.core.messages`) -> Slack payloads.

Pure functions: no Slack calls, no database, no clock. The package holds
`mrkdwn` (escaping, clipping, mentions, date tokens, severity and language names),
`blocks` (Block Kit builders and limits), `messages` (page DM, ticket card, timeline,
notes, direct DMs), `alerts` (manager and escalation-channel alerts) and `modals`
(the request forms). The message and modal builders are re-exported here, so callers
write `render.page_message(...)`.

Odd input (empty or huge text, None fields, unknown states) renders something sensible;
Block Kit limits are enforced by the builders.
"""

from bot.slack.render.alerts import alert_actions, channel_alert, manager_alert
from bot.slack.render.language import language_options
from bot.slack.render.messages import (
    NOTE_KINDS,
    direct_message,
    ephemeral_confirmation,
    page_message,
    requester_note,
    ticket_card,
    timeline_line,
)
from bot.slack.render.modals import (
    emergency_modal,
    handover_modal,
    page_someone_modal,
    resolve_modal,
)
from bot.slack.render.mrkdwn import language_name, slack_date
from bot.slack.render.pages import full_text_modal
from bot.slack.render.verify import verify_ask

__all__ = [
    "NOTE_KINDS",
    "alert_actions",
    "channel_alert",
    "direct_message",
    "emergency_modal",
    "full_text_modal",
    "ephemeral_confirmation",
    "handover_modal",
    "language_name",
    "language_options",
    "manager_alert",
    "page_message",
    "page_someone_modal",
    "requester_note",
    "resolve_modal",
    "slack_date",
    "ticket_card",
    "timeline_line",
    "verify_ask",
]
