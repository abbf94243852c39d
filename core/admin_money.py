"""Money in the admin as an officer reads it: 「112,000.00元」, never the stored "112000.00".

The admin shows a read-only field or a list column through ``display_for_field``; money fields (``DecimalField`` with
2 decimal places and at least 14 digits — every amount of the portal, and no score, weight or factor) go through
``core.money.format_yuan`` instead. Editable inputs keep the plain number a person types.
"""

from decimal import Decimal

from django.db import models

from core.money import format_yuan

MONEY_MIN_DIGITS = 14


def is_money_field(field: object) -> bool:
    return isinstance(field, models.DecimalField) and field.decimal_places == 2 and field.max_digits >= MONEY_MIN_DIGITS


def install() -> None:
    """Wrap the admin's ``display_for_field`` where the changelist and the read-only fields call it."""
    from django.contrib.admin import helpers, utils
    from django.contrib.admin.templatetags import admin_list

    plain = utils.display_for_field
    if getattr(plain, "shows_yuan", False):
        return

    def display_for_field(value, field, empty_value_display, avoid_link=False):
        if value is not None and is_money_field(field):
            return f"{format_yuan(Decimal(value))}元"
        return plain(value, field, empty_value_display, avoid_link=avoid_link)

    display_for_field.shows_yuan = True
    for module in (utils, helpers, admin_list):
        module.display_for_field = display_for_field
