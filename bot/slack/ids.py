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

# On the manager DM and the escalation-channel post (and the Home tab of whoever got
# them): acknowledge as the person who clicks; open PAGE_SOMEONE_MODAL.
TAKE = "request_take"  # value: request id
PAGE_SOMEONE = "request_page_someone"  # value: request id; opens PAGE_SOMEONE_MODAL
SHOW_TEXT = "request_show_text"  # value: request id; opens a modal with the whole text
# Two-person verification (issue 11): on the assignee's page, ask the next skilled
# specialist; on that person's DM, confirm the checklist. value: request id.
ASK_VERIFY = "request_ask_verify"
VERIFY = "request_verified"
# Acknowledged but not resolved (ack_timeout): on the reminder to the assignee, push
# the next reminder and the re-open 30 minutes on. value: request id.
ACK_SNOOZE = "request_ack_snooze"

# "Set language" on the ticket card and on a page DM: a static_select of language codes
# (the team's, then other common ones) in an actions block whose block_id is
# f"{SET_LANGUAGE_BLOCK}:{request id}"; the selected option's value is the code.
SET_LANGUAGE = "request_set_language"
SET_LANGUAGE_BLOCK = "request_language"

# Graphic content (issue 13). On the page DM of a sensitive request: "Show details"
# opens DETAILS_MODAL (the text, link and fields; audited). "Mark sensitive" (page DM and
# card, anyone) and "Unmark sensitive" (card, managers) are in an actions block
# SENSITIVE_BLOCK. value: request id.
SHOW_DETAILS = "request_show_details"
MARK_SENSITIVE = "request_mark_sensitive"
UNMARK_SENSITIVE = "request_unmark_sensitive"

BUTTON_ACTIONS = (ACK, DECLINE, RESOLVE, HANDOVER, TAKE, PAGE_SOMEONE, ASK_VERIFY, VERIFY)

SWAP_ACCEPT = "swap_accept"  # value: the swap's id; on the DM asking someone to swap
SWAP_DECLINE = "swap_decline"  # value: the swap's id
COVER_ACCEPT = "cover_accept"  # value: the cover request's id; on the cover ask
# Breaks and check-ins (bot/slack/breaks.py)
TAKE_BREAK = "break_take"  # value: minutes (15, 30, 60); on the Home tab
END_BREAK = "break_end"  # value: "" (the clicker's own break); on the Home tab
CHECKIN_OK = "checkin_ok"  # value: the check-in's id; on the end-of-shift check-in DM
CHECKIN_BREAK = "checkin_break"  # value: the check-in's id
CHECKIN_TALK = "checkin_talk"  # value: the check-in's id
# Sweeps (bot/slack/sweep_listeners.py): on a sweep turn's DM and its nudge
SWEEP_NOTHING = "sweep_nothing"  # value: the turn's id; records "Nothing found"
SWEEP_FOUND = "sweep_found"  # value: the turn's id; opens the "Found something" form
# On the question a too-short /emergency gets; value: JSON {"key", "text", "channel"}
# (the command's idempotency key, its text as typed, the channel it was typed in).
EMERGENCY_FILE_SHORT = "emergency_file_short"  # "File it": files that text as it is
EMERGENCY_WRITE_MORE = "emergency_write_more"  # opens the form with the text in it

# Modals (view callback_id) and the message shortcut (shortcut callback_id) -------
EMERGENCY_MODAL = "emergency_modal"  # private_metadata: whatever the opener passes
RESOLVE_MODAL = "resolve_modal"  # private_metadata: request id
HANDOVER_MODAL = "handover_modal"  # private_metadata: request id
SWEEP_FOUND_MODAL = "sweep_found_modal"  # private_metadata: the sweep turn's id
PAGE_SOMEONE_MODAL = "page_someone_modal"  # private_metadata: request id
SHORTCUT = "escalate_message"  # message shortcut "Escalate to on-call" (manifest.yml)

# Message blocks (block_id) -------------------------------------------------------
PAGE_ACTIONS_BLOCK = "page_actions"  # the buttons of a page DM
VERIFY_ACTIONS_BLOCK = "verify_actions"  # "Verified" on the DM asking to verify
ALERT_ACTIONS_BLOCK = "alert_actions"  # Take it / Page someone on an alert
FULL_TEXT_BLOCK = "request_full_text"  # "Show full text" under a request text cut short
FULL_TEXT_MODAL = "request_full_text_modal"  # the modal it opens (callback_id; nothing to submit)
SENSITIVE_BLOCK = "request_sensitive"  # Show details / Mark / Unmark sensitive
DETAILS_MODAL = "request_details_modal"  # "Show details" (callback_id; nothing to submit)

# Modal fields: (block_id, action_id) ---------------------------------------------
TEXT_BLOCK = "emergency_text"  # emergency modal: what is happening (plain_text_input)
TEXT_ACTION = "text"
LANGUAGE_BLOCK = "emergency_language"  # static_select; "detect" or an ISO 639-1 code
LANGUAGE_ACTION = "language"
SEVERITY_BLOCK = "emergency_severity"  # radio_buttons; sev1 | sev2 | sev3
SEVERITY_ACTION = "severity"
LINK_BLOCK = "emergency_link"  # optional url_text_input
LINK_ACTION = "link"
# "Graphic content (hide the text from the channel)": checkboxes with one option whose
# value is GRAPHIC; ticked, the request is filed sensitive.
GRAPHIC_BLOCK = "emergency_graphic"
GRAPHIC_ACTION = "graphic"
GRAPHIC = "graphic_content"
# The request's category (static_select, dispatch_action: picking one sends a
# block_actions payload and the form is updated with its fields). Absent when the team
# lists no categories. A form for several teams suffixes the block id with the team
# picked (":<team>"), so Slack drops a choice the new options do not hold.
CATEGORY_BLOCK = "emergency_category"
CATEGORY_ACTION = "category"
# The severity block id gets a suffix (":sev1") when the form itself changes the
# preselected severity (a category was picked): Slack keeps what a block id shows
# across views.update, so only a new id shows the new choice.
# A category's fields: plain_text_input, block id f"{FIELD_BLOCK}:{field name}".
FIELD_BLOCK = "emergency_field"
FIELD_ACTION = "field"
OUTCOME_BLOCK = "resolve_outcome"  # resolve modal: required outcome note
OUTCOME_ACTION = "outcome"
# Resolve modal of a two-person request: how it ended (static_select of
# core.model.OUTCOMES; required).
RESOLUTION_BLOCK = "resolve_resolution"
RESOLUTION_ACTION = "resolution"
HANDOVER_TARGET_BLOCK = "handover_target"  # hand-over modal: static_select of user ids
HANDOVER_TARGET_ACTION = "target"
PAGE_SOMEONE_TARGET_BLOCK = "page_someone_target"  # page-someone modal: static_select
PAGE_SOMEONE_TARGET_ACTION = "someone"  # of the team's specialists (user ids)

# Emergency form, when several teams take requests and the channel is none of theirs:
# which team (static_select, dispatch_action: picking one updates the form with that
# team's categories; value: the team's name). Absent otherwise.
TEAM_BLOCK = "emergency_team"
TEAM_ACTION = "team"

# The language option meaning "detect it from the text".
DETECT = "detect"

# Home tab (views.publish) ----------------------------------------------------------
# The buttons of an open request on the Home tab reuse RESOLVE and HANDOVER (value:
# request id); each request's actions block is f"{HOME_REQUEST_BLOCK}:{request id}".
HOME_REQUEST_BLOCK = "home_request"
# A page waiting for you (ACK, DECLINE; value: page id): f"{HOME_PAGE_BLOCK}:{page id}";
# an alert you received (TAKE, PAGE_SOMEONE; value: request id):
# f"{HOME_ALERT_BLOCK}:{request id}".
HOME_PAGE_BLOCK = "home_page"
HOME_ALERT_BLOCK = "home_alert"

# Rotation modal (/oncall rotation create | edit <name>) ---------------------------
# private_metadata: JSON {"team": <team name>, "rotation": <name being edited, or null>}
ROTATION_MODAL = "rotation_modal"
ROTATION_NAME_BLOCK = "rotation_name"  # plain_text_input (create only)
ROTATION_NAME_ACTION = "name"
ROTATION_TIMEZONE_BLOCK = "rotation_timezone"  # static_select with option_groups; IANA zone
ROTATION_TIMEZONE_ACTION = "timezone"
ROTATION_SHIFT_START_BLOCK = "rotation_shift_start"  # timepicker "HH:MM"
ROTATION_SHIFT_START_ACTION = "shift_start"
ROTATION_SHIFT_END_BLOCK = "rotation_shift_end"  # timepicker; <= start: ends next day
ROTATION_SHIFT_END_ACTION = "shift_end"
ROTATION_DAYS_BLOCK = "rotation_days"  # checkboxes mon..sun
ROTATION_DAYS_ACTION = "days"
ROTATION_HANDOFF_BLOCK = "rotation_handoff"  # static_select daily | weekly | every
ROTATION_HANDOFF_ACTION = "handoff"
ROTATION_HANDOFF_DAYS_BLOCK = "rotation_handoff_days"  # number_input N (for "every")
ROTATION_HANDOFF_DAYS_ACTION = "handoff_days"
ROTATION_START_BLOCK = "rotation_start"  # datepicker: members[0]'s first shift period
ROTATION_START_ACTION = "start"
ROTATION_TIER_BLOCK = "rotation_tier"  # radio_buttons primary | secondary
ROTATION_TIER_ACTION = "tier"
ROTATION_MEMBERS_BLOCK = "rotation_members"  # multi_users_select, in rotation order
ROTATION_MEMBERS_ACTION = "members"
HANDOFF_EVERY = "every"  # the handoff option meaning "every N days"


# The largest id a row can have (PostgreSQL `integer`): a larger number in a button
# value or a form's metadata names nothing we stored, and would fail in the database.
MAX_ID = 2**31 - 1


def record_id(value: object) -> int:
    """The database id a button value or a modal's private_metadata carries; a
    ValueError whose text a person can read when it is not one of ours."""
    text = value.strip() if isinstance(value, str) else ""
    if not (text.isascii() and text.isdigit()) or not 0 < int(text) <= MAX_ID:
        raise ValueError("That button or form is not one this app sent, or it is out of "
                         "date; open the request from its card in the intake channel.")
    return int(text)
