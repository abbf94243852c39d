"""Run the performance-report reminder job by hand: ``manage.py report_reminders [--today YYYY-MM-DD]``."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError, CommandParser

from evaluations.services import send_report_reminders


class Command(BaseCommand):
    help = "绩效报告到期前14天提醒申报单位，逾期未交的标记为逾期；可重复运行。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--today", help="按此日期（YYYY-MM-DD）判断提醒与逾期，默认今天（北京时间）。")

    def handle(self, *args: object, **options: object) -> None:
        today = None
        if options.get("today"):
            try:
                today = date.fromisoformat(str(options["today"]))
            except ValueError as error:
                raise CommandError(f"--today 应为 YYYY-MM-DD：{options['today']}") from error
        counts = send_report_reminders(today=today)
        self.stdout.write(" ".join(f"{key}={counts[key]}" for key in ("opened", "reminded", "overdue")))
