"""Run the publicity closing job by hand: ``manage.py close_publicity [--today YYYY-MM-DD]``."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError, CommandParser

from publicity.services import close_ended_notices


class Command(BaseCommand):
    help = "公示期满后，将无异议的申报核准（in_publicity → awarded）；可重复运行。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--today", help="按此日期（YYYY-MM-DD）判断公示是否期满，默认今天（北京时间）。")

    def handle(self, *args: object, **options: object) -> None:
        today = None
        if options.get("today"):
            try:
                today = date.fromisoformat(str(options["today"]))
            except ValueError as error:
                raise CommandError(f"--today 应为 YYYY-MM-DD：{options['today']}") from error
        counts = close_ended_notices(today=today)
        self.stdout.write(" ".join(f"{key}={counts[key]}" for key in ("notices", "confirmed", "held", "closed")))
