"""The applicant's pages: dashboard, new application, the step-by-step form, detail, transitions, notifications.

Every page is for members of the applicant organisation only: an application of another organisation is a 404,
also for bureau staff (they work in the admin). Every write goes through ``applications.services``; a refused
write re-renders the page with what was typed, an error summary at the top and each error beside its field.

The pages are grouped by module:

- ``dashboard``: the organisation's applications, and a new application;
- ``steps``: the step-by-step form (units, fields, targets, attachments, declarations, review);
- ``detail``: the detail page and timeline, transitions (submit, withdraw), deletion, attachment download and delete;
- ``notifications``: the user's notices;
- ``common``: what they share (who may see what, the steps, error-summary lines, what an application shows).

``applications.urls`` routes to the views re-exported here.
"""

from applications.views.dashboard import dashboard, new
from applications.views.detail import attachment_delete, delete, detail, download_attachment, transition
from applications.views.notifications import notifications
from applications.views.steps import step

__all__ = [
    "attachment_delete",
    "dashboard",
    "delete",
    "detail",
    "download_attachment",
    "new",
    "notifications",
    "step",
    "transition",
]
