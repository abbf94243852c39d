"""Two finance officers adding the same application to two batches at the same moment (PostgreSQL, real threads)."""

import threading

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import connection

from payouts import services
from payouts.models import LineStatus, PayoutLine
from tests.factories import StaffFactory


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_officers_batching_one_application_at_once_leave_one_live_line(make_awarded, roles):
    application = make_awarded()
    officers = [roles["finance"], StaffFactory()]
    officers[1].groups.add(Group.objects.get(name="财务人员"))
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def build(officer):
        try:
            barrier.wait(timeout=10)
            services.create_batch(actor=officer, applications=[application.pk])
            outcomes.append("created")
        except ValidationError as error:
            outcomes.append(error.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=build, args=(officer,)) for officer in officers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["created", "nothing_to_pay"]
    assert PayoutLine.objects.filter(application=application).exclude(status=LineStatus.FAILED).count() == 1
