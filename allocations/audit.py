"""The audit check allocations registers with ``applications.audit_heads``: the allocated amount is recorded.

An application's ``allocated_amount`` is written only by an allocation run, from that run's line; so it must
equal the line of the latest finished run that holds the application, or be empty when no run holds it.
"""

from collections.abc import Iterable, Sequence

from allocations.models import AllocationLine, RunStatus
from applications.audit_heads import Finding, Kind
from applications.models import Application


def check_allocated_amounts(applications: Sequence[Application]) -> Iterable[Finding]:
    expected: dict[int, object] = {}
    lines = (
        AllocationLine.objects.filter(application_id__in=[a.pk for a in applications], run__status=RunStatus.DONE)
        .order_by("application_id", "-run__finished_at", "-run_id")
        .values_list("application_id", "allocated_amount", "run_id")
    )
    for application_id, amount, run_id in lines:
        expected.setdefault(application_id, (amount, run_id))
    for application in applications:
        amount, run_id = expected.get(application.pk, (None, None))
        if application.allocated_amount != amount:
            source = f"allocation run #{run_id} allotted {amount}" if run_id else "no allocation run allotted it any"
            yield Finding(
                Kind.UNRECORDED_CHANGE,
                application.pk,
                application.reference or "-",
                f"allocated amount is {application.allocated_amount} but {source}",
            )
