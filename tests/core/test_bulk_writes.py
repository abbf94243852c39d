"""Bulk writes of ``core.db``: many rows set by one statement on PostgreSQL, the same rows elsewhere."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.db import bulk_set, bulk_set_columns
from programs.models import ProgramBudget
from tests.factories import ProgramBudgetFactory

pytestmark = pytest.mark.django_db


def test_bulk_set_columns_sets_each_row_its_own_values():
    budgets = ProgramBudgetFactory.create_batch(3)
    untouched = ProgramBudgetFactory(amount=Decimal("7.00"))
    pks = [b.pk for b in budgets]
    amounts = [Decimal("1.10"), Decimal("2.20"), Decimal("3.30")]

    assert bulk_set_columns(ProgramBudget, pks, {"amount": amounts}) == 3

    assert dict(ProgramBudget.objects.filter(pk__in=pks).values_list("pk", "amount")) == dict(
        zip(pks, amounts, strict=True)
    )
    untouched.refresh_from_db()
    assert untouched.amount == Decimal("7.00")


def test_bulk_set_columns_is_one_statement_on_postgresql():
    budgets = ProgramBudgetFactory.create_batch(4)
    with CaptureQueriesContext(connection) as queries:
        bulk_set_columns(ProgramBudget, [b.pk for b in budgets], {"amount": [Decimal("5.00")] * 4})
    if connection.vendor == "postgresql":
        assert len(queries) == 1
    assert set(ProgramBudget.objects.values_list("amount", flat=True)) == {Decimal("5.00")}


def test_bulk_set_columns_without_rows_writes_nothing():
    with CaptureQueriesContext(connection) as queries:
        assert bulk_set_columns(ProgramBudget, [], {"amount": []}) == 0
    assert len(queries) == 0


def test_bulk_set_with_rows_as_dicts_gives_the_same():
    first, second = ProgramBudgetFactory.create_batch(2)
    assert (
        bulk_set(
            ProgramBudget,
            [(first.pk, {"amount": Decimal("8.00")}), (second.pk, {"amount": Decimal("9.00")})],
            ["amount"],
        )
        == 2
    )
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.amount, second.amount) == (Decimal("8.00"), Decimal("9.00"))


def test_number_array_is_a_literal_of_numbers_only():
    from core.db import number_array

    assert number_array([1, 22, 333]) == "{1,22,333}"
    assert number_array([Decimal("1.50"), Decimal("0.00"), 7]) == "{1.50,0.00,7}"
    assert number_array([]) == "{}"
    for other in ([1, None], [True], ["1"], [Decimal("NaN")], [1.5]):
        assert number_array(other) is None
