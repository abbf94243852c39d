"""Pure policy of performance evaluation (SPEC §4 绩效评价): dates, defaults and grades."""

from datetime import date, timedelta
from decimal import Decimal

from dateutil.relativedelta import relativedelta

from programs.models import Call, Program

REMINDER_DAYS_BEFORE_DUE = 14
CLAWBACK_DUE_DAYS = 90
SANCTION_YEARS = 3


def report_required(program: Program) -> bool:
    """A performance report is asked for only where the program requires one (``Program.report_required``)."""
    return bool(program.report_required)


def report_due_months(call: Call, program: Program) -> int:
    """The call's report period, falling back to the program's when the call sets none."""
    return call.report_due_months or program.report_due_months


def report_due_on(disbursed_on: date, months: int) -> date:
    """ "自拨付之日起计算": the disbursement date plus the report period in calendar months (clamped to month end)."""
    return disbursed_on + relativedelta(months=months)


def reminder_due(due_on: date, today: date) -> bool:
    """Remind within the last 14 days before the due date (the due date itself included)."""
    return due_on - timedelta(days=REMINDER_DAYS_BEFORE_DUE) <= today <= due_on


def is_overdue(due_on: date, today: date) -> bool:
    """A report is overdue from the day after its due date."""
    return today > due_on


def is_passing(grade: str) -> bool:
    """优秀、良好、合格 pass; 不合格 fails and opens a clawback."""
    from evaluations.models import PASSING_GRADES

    return grade in PASSING_GRADES


def default_clawback_amount(allocated_amount: Decimal | None, standard_amount: Decimal | None) -> Decimal:
    """Claw back the whole award: the allocated amount, or the standard amount where none was allocated."""
    return allocated_amount if allocated_amount is not None else (standard_amount or Decimal("0"))


def default_clawback_due_on(today: date) -> date:
    """Repay within 90 days of the decision unless staff set another date."""
    return today + timedelta(days=CLAWBACK_DUE_DAYS)


def default_sanction_ends_on(starts_on: date) -> date:
    """ "限制申报3年": the bar lasts three years by default."""
    return starts_on + relativedelta(years=SANCTION_YEARS)
