from django.core.management.base import BaseCommand, CommandError

from applications.audit_heads import verify_all, write_snapshot
from applications.models import Application


class Command(BaseCommand):
    help = (
        "Verify every application (or one) against its event chain, the registered checks (allocated amount) and "
        "the latest chain heads snapshot; name each finding (edited, deleted_middle, deleted_tail, deleted_chain, "
        "unrecorded_change, recomputed, heads_tampered) and exit with status 1 if there is any. --write-heads then "
        "writes a new heads snapshot when all is well (what the nightly task does)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--application", help="only this application: its reference (申报编号) or id")
        parser.add_argument("--heads", action="store_true", help="also print each chain's last hash, to keep apart")
        parser.add_argument("--write-heads", action="store_true", help="write a heads snapshot if nothing is found")

    def handle(
        self,
        *args: object,
        application: str | None = None,
        heads: bool = False,
        write_heads: bool = False,
        **options: object,
    ) -> None:
        only = self._application(application) if application is not None else None
        report = verify_all(only, collect_heads=heads)
        for finding in report.findings:
            self.stdout.write(finding.line())
        for pk, reference, count, head in report.heads:
            self.stdout.write(f"HEAD {reference or '-'} (application {pk}) {count} {head}")
        if report.findings:
            raise CommandError(report.summary, returncode=1)
        if write_heads:
            if only is not None:
                raise CommandError("--write-heads covers every application: leave out --application")
            snapshot = write_snapshot()
            self.stdout.write(f"heads snapshot #{snapshot.pk} written: {snapshot.digest}")
        self.stdout.write(self.style.SUCCESS(report.summary))

    def _application(self, value: str) -> Application:
        found = Application.objects.filter(reference=value).first()
        if found is None and value.isdigit():
            found = Application.objects.filter(pk=int(value)).first()
        if found is None:
            raise CommandError(f"No application with reference or id {value!r}")
        return found
