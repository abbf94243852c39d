from django.core.management.base import BaseCommand, CommandError

from allocations.services import sweep_caps
from programs.models import Call


class Command(BaseCommand):
    help = "Re-check a call's approved applications against the caps in force and record the changes (idempotent)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("call_id", type=int)

    def handle(self, *args: object, call_id: int, **options: object) -> None:
        call = Call.objects.filter(pk=call_id).first()
        if call is None:
            raise CommandError(f"No call with id {call_id}")
        sweep = sweep_caps(call=call)
        self.stdout.write(f"sweep_caps: {call}: {sweep.checked} checked, {sweep.changed} changed")
        for change in sweep.changes.select_related("application"):
            self.stdout.write(
                f"  {change.application}: {change.standard_before} → {change.standard_after} ({change.reason})"
            )
