"""The end-of-shift check-in DM: its question and the three answers. A DIRECT outbox
row whose payload names a `checkin` (bot/services/checkins.py) is rendered with these
buttons; the button value is the check-in's id."""

from __future__ import annotations

from bot.slack import ids
from bot.slack.render import blocks as kit


def checkin_blocks(text: str, checkin_id: object) -> kit.Blocks:
    """`text` is rendered mrkdwn already."""
    value = str(checkin_id)
    return [kit.section(text),
            {"type": "actions", "block_id": "checkin_answers", "elements": [
                kit.button("I'm OK", ids.CHECKIN_OK, value, style="primary"),
                kit.button("I need a break", ids.CHECKIN_BREAK, value),
                kit.button("I'd like to talk to someone", ids.CHECKIN_TALK, value)]}]
