"""Admin building blocks shared by the apps."""

from django.http import HttpRequest


class ReadOnlyAdminMixin:
    """A record to read in the admin, never added, changed or deleted there (events, results, history).

    Changes to such records happen only through the services (or not at all); the admin shows them.
    """

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
