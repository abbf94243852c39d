from django.core.management.base import BaseCommand

from applications.workflow_doc import render


class Command(BaseCommand):
    help = "Print docs/workflow.md (state diagram and who-may-do-what table) generated from the state machine."

    def handle(self, *args: object, **options: object) -> None:
        self.stdout.write(render(), ending="")
