"""Queries composed once (core.compiled): the same instances as the queryset would give, related rows and
annotations included, on SQLite and PostgreSQL alike; the SQL composed once, then only executed."""

from datetime import date

import pytest
from django.db import connection
from django.db.models import Count, Value
from django.test.utils import CaptureQueriesContext

from accounts.auth import TOKENS_WITH_USER
from accounts.models import ApiToken, Membership, Organisation
from core.compiled import CompiledQuery
from tests.factories import MembershipFactory, UserFactory
from tests.tokens import token_for

pytestmark = pytest.mark.django_db


def fields(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}


def test_the_token_read_gives_the_token_its_user_and_membership_in_one_statement():
    member = MembershipFactory()
    key = token_for(member.user)[:15]
    expected = ApiToken.objects.select_related("user", "user__membership").get(token_key=key)

    with CaptureQueriesContext(connection) as queries:
        (token,) = TOKENS_WITH_USER(key)
        user, membership = token.user, token.user.membership
    assert len(queries) == 1
    assert fields(token) == fields(expected)
    assert fields(user) == fields(expected.user)
    assert fields(membership) == fields(expected.user.membership)
    assert token.expiry.tzinfo is not None  # aware, as the ORM gives it (SQLite stores text)
    assert TOKENS_WITH_USER("no-such-key") == []


def test_a_user_without_membership_has_none_and_asking_for_it_reads_nothing():
    user = UserFactory()
    key = token_for(user)[:15]

    (token,) = TOKENS_WITH_USER(key)
    with CaptureQueriesContext(connection) as queries, pytest.raises(Membership.DoesNotExist):
        token.user.membership  # noqa: B018
    assert len(queries) == 0


def test_parameters_take_each_call_s_values_and_annotations_come_along():
    first, second = MembershipFactory().organisation, MembershipFactory().organisation
    query = CompiledQuery(
        lambda pk, day: Organisation.objects.filter(pk=pk, founded_on__lt=day).annotate(
            members=Count("memberships"), marker=Value("x")
        ),
        -5,
        date(1901, 1, 1),
    )

    assert [o.pk for o in query(first.pk, date(2100, 1, 1))] == [first.pk]
    (found,) = query(second.pk, date(2100, 1, 1))
    assert (found.pk, found.members, found.marker) == (second.pk, 1, "x")
    assert fields(found) == fields(Organisation.objects.get(pk=second.pk))
    assert query(second.pk, date(1900, 1, 1)) == []


def test_the_sql_is_composed_once():
    organisation = MembershipFactory().organisation
    built = []

    def build(pk):
        built.append(pk)
        return Organisation.objects.filter(pk=pk)

    query = CompiledQuery(build, -5)
    for _ in range(3):
        assert [o.pk for o in query(organisation.pk)] == [organisation.pk]
    assert built == [-5]


def test_a_sample_the_sql_does_not_carry_is_refused_when_composed():
    query = CompiledQuery(lambda pk: Organisation.objects.filter(pk__gt=0), -5)
    with pytest.raises(ValueError, match="not among the query's parameters"):
        query(1)
