"""Identifiers shared by the Block Kit renderers (`render.py`) and the listeners.

Slack hands these back to the app: `action_id` on a button click (block_actions),
`callback_id` on a modal submission (view_submission) or a shortcut, and
`block_id` + `action_id` as the keys of `view["state"]["values"]` in a submission:

    values = body["view"]["state"]["values"]
    text = values[ids.TEXT_BLOCK][ids.TEXT_ACTION]["value"]
    lang = values[ids.LANGUAGE_BLOCK][ids.LANGUAGE_ACTION]["selected_option"]["value"]

Button `value`s carry a database id as a string: the page id for ACK and DECLINE,
the request id for RESOLVE and HANDOVER. The resolve and hand-over modals carry the
request id in `private_metadata`.
"""

from __future__ import annotations

# Buttons (action_id) -------------------------------------------------------------
ACK = "page_ack"  # value: page id
DECLINE = "page_decline"  # value: page id
RESOLVE = "request_resolve"  # value: request id; opens RESOLVE_MODAL
HANDOVER = "request_handover"  # value: request id; opens HANDOVER_MODAL

BUTTON_ACTIONS = (ACK, DECLINE, RESOLVE, HANDOVER)

# Modals (view callback_id) and the message shortcut (shortcut callback_id) -------
EMERGENCY_MODAL = "emergency_modal"  # private_metadata: whatever the opener passes
RESOLVE_MODAL = "resolve_modal"  # private_metadata: request id
HANDOVER_MODAL = "handover_modal"  # private_metadata: request id
SHORTCUT = "escalate_message"  # message shortcut "Escalate to on-call" (manifest.yml)

# Message blocks (block_id) -------------------------------------------------------
PAGE_ACTIONS_BLOCK = "page_actions"  # the buttons of a page DM

# Modal fields: (block_id, action_id) ---------------------------------------------
TEXT_BLOCK = "emergency_text"  # emergency modal: what is happening (plain_text_input)
TEXT_ACTION = "text"
LANGUAGE_BLOCK = "emergency_language"  # static_select; "detect" or an ISO 639-1 code
LANGUAGE_ACTION = "language"
SEVERITY_BLOCK = "emergency_severity"  # radio_buttons; sev1 | sev2 | sev3
SEVERITY_ACTION = "severity"
LINK_BLOCK = "emergency_link"  # optional url_text_input
LINK_ACTION = "link"
OUTCOME_BLOCK = "resolve_outcome"  # resolve modal: required outcome note
OUTCOME_ACTION = "outcome"
HANDOVER_TARGET_BLOCK = "handover_target"  # hand-over modal: static_select of user ids
HANDOVER_TARGET_ACTION = "target"

# The language option meaning "detect it from the text".
DETECT = "detect"
