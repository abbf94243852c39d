"""Writes for applications, one module per concern; callers import from here (``applications.services``).

- ``assessment``: amounts per unit and the eligibility checks, live and at submission;
- ``drafts``: create, change and delete an application before submission;
- ``attachments``: private uploads;
- ``caps``: the (organisation, year) lock and the caps re-check at approval and payout;
- ``transitions``: one service per workflow step and the generic entry for people (``run_transition``).
"""

from applications.services.assessment import (
    Assessment,
    assess,
    cap_policy,
    count_units,
    store_assessment,
    unit_inputs,
    window_open,
)
from applications.services.attachments import add_attachment, delete_attachment
from applications.services.bulk import transition_in_bulk
from applications.services.caps import CapCheck, lock_organisation_year, recheck_caps
from applications.services.drafts import (
    MAX_TARGETS,
    MAX_UNITS,
    clean_form_data,
    clean_targets,
    clean_units,
    create_application,
    delete_application,
    update_application,
)
from applications.services.transitions import (
    TRANSITION_SERVICES,
    accept_application,
    approve_application,
    available_transitions,
    check_transition,
    claw_back_application,
    close_application,
    confirm_application,
    disburse_application,
    evaluate_application,
    publish_application,
    register_guard,
    reject_application,
    return_application,
    revoke_application,
    run_transition,
    send_back_application,
    submit_application,
    withdraw_application,
)

__all__ = [
    "MAX_TARGETS",
    "MAX_UNITS",
    "TRANSITION_SERVICES",
    "Assessment",
    "CapCheck",
    "accept_application",
    "add_attachment",
    "approve_application",
    "assess",
    "available_transitions",
    "cap_policy",
    "check_transition",
    "claw_back_application",
    "clean_form_data",
    "clean_targets",
    "clean_units",
    "close_application",
    "confirm_application",
    "count_units",
    "create_application",
    "delete_application",
    "delete_attachment",
    "disburse_application",
    "evaluate_application",
    "lock_organisation_year",
    "publish_application",
    "recheck_caps",
    "register_guard",
    "reject_application",
    "return_application",
    "revoke_application",
    "run_transition",
    "send_back_application",
    "store_assessment",
    "submit_application",
    "transition_in_bulk",
    "unit_inputs",
    "update_application",
    "window_open",
    "withdraw_application",
]
