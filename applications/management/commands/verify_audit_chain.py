from itertools import groupby
from operator import attrgetter

from django.core.management.base import BaseCommand, CommandError

from applications.audit import verify_chain
from applications.models import Application, ApplicationEvent

CHUNK = 2000
FIELDS = ("application_id", "prev_hash", "hash", "name", "from_state", "to_state", "actor_id", "at", "comment", "data")


class Command(BaseCommand):
    help = (
        "Verify the hash chain of every application's events (or one application's) and report the first broken "
        "link of each; exit with status 1 if any link is broken. Streams the events in constant memory."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--application", help="only this application: its reference (申报编号) or id")
        parser.add_argument("--heads", action="store_true", help="also print each chain's last hash, to keep apart")

    def handle(self, *args: object, application: str | None = None, heads: bool = False, **options: object) -> None:
        events = (
            ApplicationEvent.objects.select_related("application")
            .only(*FIELDS, "application__reference")
            .order_by("application_id", "pk")
        )
        if application is not None:
            events = events.filter(application=self._application(application))
        applications = checked = broken = 0
        for application_id, group in groupby(events.iterator(chunk_size=CHUNK), key=attrgetter("application_id")):
            # One application's events at a time (a handful); the whole table is never in memory.
            chain = list(group)
            check = verify_chain(chain)
            applications += 1
            checked += len(chain)
            reference = chain[0].application.reference or "-"
            if check.broken:
                broken += 1
                link = check.broken
                self.stdout.write(
                    f"BROKEN {reference} (application {application_id}): event {link.event_id}, {link.problem} "
                    f"expected {link.expected}, stored {link.stored or '(empty)'}"
                )
            elif heads:
                self.stdout.write(f"HEAD {reference} (application {application_id}) {check.events} {check.head}")
        summary = f"{applications} applications checked, {checked} events checked, {broken} broken chains"
        if broken:
            raise CommandError(summary, returncode=1)
        self.stdout.write(self.style.SUCCESS(summary))

    def _application(self, value: str) -> Application:
        found = Application.objects.filter(reference=value).first()
        if found is None and value.isdigit():
            found = Application.objects.filter(pk=int(value)).first()
        if found is None:
            raise CommandError(f"No application with reference or id {value!r}")
        return found
