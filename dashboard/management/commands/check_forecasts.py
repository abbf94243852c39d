from django.core.management.base import BaseCommand

from dashboard.services import check_open_forecasts


class Command(BaseCommand):
    help = "Check the pro-rata forecast of every open call and tell the approvers of a new crossing (idempotent)."

    def handle(self, *args: object, **options: object) -> None:
        result = check_open_forecasts()
        self.stdout.write(
            f"check_forecasts: {result.checked} programs checked, {result.crossed} crossed, "
            f"{result.notified} notifications"
        )
