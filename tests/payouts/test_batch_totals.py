"""A batch's 合计金额 and 笔数 equal its lines in every state, shown in 元 with thousands separators."""

from decimal import Decimal

import pytest
from django.db.models import Sum
from django.test import Client

from payouts import services

pytestmark = pytest.mark.django_db


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def test_totals_equal_the_lines_before_and_after_approval_in_the_service_and_the_admin(make_awarded, roles, finance2):
    first, second = make_awarded("300000.00"), make_awarded("12000.00")
    draft, _ = services.create_batch(actor=roles["finance"], applications=[first, second])

    lines = draft.lines.aggregate(total=Sum("amount"))["total"]
    assert (draft.total_amount, draft.line_count) == (lines, 2) == (Decimal("312000.00"), 2)
    draft_page = client_for(finance2).get(f"/admin/payouts/payoutbatch/{draft.pk}/change/").content.decode()
    draft_list = client_for(finance2).get("/admin/payouts/payoutbatch/").content.decode()
    assert "312,000.00元" in draft_page and "2笔" in draft_page
    assert "本批次共 2 笔，合计 312,000.00元" in draft_page
    assert "312,000.00元" in draft_list and "0.00元" not in draft_list.replace("312,000.00元", "")

    approved = services.approve_batch(batch=draft, actor=finance2)

    assert (approved.total_amount, approved.line_count) == (lines, 2)
    approved_page = client_for(finance2).get(f"/admin/payouts/payoutbatch/{draft.pk}/change/").content.decode()
    assert "312,000.00元" in approved_page and "312000.00" not in approved_page


def test_batch_list_reads_its_figures_in_a_constant_number_of_queries(
    make_awarded, roles, finance2, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for _size in (1, 3):
        services.create_batch(actor=roles["finance"], applications=[make_awarded() for _ in range(2)])
        with CaptureQueriesContext(connection) as queries:
            assert client_for(finance2).get("/admin/payouts/payoutbatch/").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
