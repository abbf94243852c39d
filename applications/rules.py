"""Pure eligibility checks (SPEC §5), each returning passed or not and why. No database here.

The service gathers the facts (``EligibilityFacts``) from the rows and calls ``check_eligibility``; the
applicant sees every check while filling in, and submission is refused while any fails.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from applications.error_codes import ApplicationErrorCode
from programs.rules import REASON_ALREADY_FUNDED, REASON_CLAIM_MISSING, REASON_YEARLY_CAP_REACHED, UnitResult

WINDOW_NONE = "none"
WINDOW_PREVIOUS_YEAR = "previous_year"
WINDOW_LAST_YEARS = "last_years"

# The three declarations (申报承诺) in the order of ``EligibilityFacts.declarations``, and their keys in the API's
# write body (``declarations.<key>``).
DECLARATION_NAMES = (_lazy("真实性承诺"), _lazy("不多头申报承诺"), _lazy("接受折算调整"))
DECLARATION_KEYS = ("truthful", "no_duplicate_funding", "accept_adjustment")


@dataclass(frozen=True)
class Check:
    """The outcome of one eligibility check, passed or not, and why.

    ``code`` is the check's stable code, the one submission raises while the check fails (API clients, tests and
    the applicant pages key on it). ``number`` is what people call the check: E1…E9, M1 (materials), U1 (units),
    shown beside its name. E6 (数量上限与重复资助) is the one check with two codes: ``ALREADY_FUNDED`` when only
    the funded-once rule fails, else ``YEARLY_CAP_REACHED``.

    ``fields`` names what a failed check is about, as (path, message) pairs in the API's write body:
    ``units.0.issued_on`` (units counted from 0), ``form_data.<name>``, ``attachments.<kind>``,
    ``declarations.<key>``, ``program``. Checks about the organisation (E1–E4, E9) or the call's dates name none.
    """

    number: str
    code: ApplicationErrorCode
    name: str
    passed: bool
    message: str
    fields: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class UnitFacts:
    label: str  # what the applicant calls it, e.g. the certificate number or "第2项"
    issued_on: date | None
    has_key: bool
    has_tier: bool


@dataclass(frozen=True)
class EligibilityFacts:
    org_type: str
    org_type_label: str
    allowed_types: Sequence[str]
    allowed_types_label: str
    in_shenzhen: bool
    founded_on: date
    min_years_established: int
    today: date
    sanction_until: date | None
    call_year: int
    evidence_window: str
    evidence_years: int
    call_open: bool
    program_in_call: bool
    declarations: tuple[bool, bool, bool]
    uscc_valid: bool
    units: Sequence[UnitFacts]
    unit_results: Sequence[UnitResult]
    key_required: bool
    tier_required: bool
    missing_attachments: Sequence[str] = field(default_factory=tuple)
    missing_form_fields: Sequence[str] = field(default_factory=tuple)
    # The kinds and names of the missing materials and form fields, in the order of the labels above (for ``fields``).
    missing_attachment_kinds: Sequence[str] = field(default_factory=tuple)
    missing_form_field_names: Sequence[str] = field(default_factory=tuple)


def full_years_between(start: date, end: date) -> int:
    """Whole years from ``start`` to ``end`` (a founding date to today)."""
    years = end.year - start.year
    if (end.month, end.day) < (start.month, start.day):
        years -= 1
    return years


def evidence_in_window(issued_on: date, *, window: str, years: int, call_year: int, today: date) -> bool:
    """Whether evidence dated ``issued_on`` lies in the program's window.

    P10-1：荣誉须为上一年度取得；P9-2：计量技术文件须为近3年内正式发布。
    """
    if issued_on > today:
        return False
    if window == WINDOW_PREVIOUS_YEAR:
        return issued_on.year == call_year - 1
    if window == WINDOW_LAST_YEARS:
        return issued_on.year >= call_year - years
    return True


def allowed_dates_text(*, window: str, years: int, call_year: int, today: date) -> str:
    """The dates a program's window accepts, as the applicant reads them (E5's message, the units step's help).

    P10-1：荣誉须为上一年度取得；P9-2：计量技术文件须为近3年内正式发布。No date after today in any window.
    """
    today_text = _("%(y)s年%(m)s月%(d)s日") % {"y": today.year, "m": today.month, "d": today.day}
    if window == WINDOW_PREVIOUS_YEAR:
        return _("%(y)s年1月1日至%(y)s年12月31日") % {"y": call_year - 1}
    if window == WINDOW_LAST_YEARS:
        return _("%(y)s年1月1日至今天（%(today)s）") % {"y": call_year - years, "today": today_text}
    return _("今天（%(today)s）及以前") % {"today": today_text}


def check_eligibility(facts: EligibilityFacts) -> list[Check]:
    """Run E1–E9 plus the materials (M1) and units (U1) checks; every check is returned, passed or not."""
    checks: list[Check] = []

    # E1 申报主体类型
    ok = facts.org_type in facts.allowed_types
    checks.append(
        Check(
            "E1",
            ApplicationErrorCode.APPLICANT_TYPE_NOT_ALLOWED,
            _("申报主体类型"),
            ok,
            _("单位类型“%(t)s”可以申报本项目") % {"t": facts.org_type_label}
            if ok
            else _("本项目仅限%(allowed)s申报，贵单位为%(t)s")
            % {"allowed": facts.allowed_types_label, "t": facts.org_type_label},
        )
    )

    # E2 在深圳注册
    ok = facts.in_shenzhen
    checks.append(
        Check(
            "E2",
            ApplicationErrorCode.NOT_REGISTERED_IN_SHENZHEN,
            _("在深圳市注册"),
            ok,
            _("注册地在深圳市") if ok else _("申报单位须在深圳市依法注册登记，请在单位信息中核对注册所在区"),
        )
    )

    # E3 成立年限
    years = full_years_between(facts.founded_on, facts.today)
    ok = years >= facts.min_years_established
    checks.append(
        Check(
            "E3",
            ApplicationErrorCode.TOO_RECENTLY_ESTABLISHED,
            _("成立年限"),
            ok,
            (_("成立满%(n)s年") % {"n": years})
            if facts.min_years_established == 0 or ok
            else _("本项目要求成立满%(min)s年，贵单位成立%(n)s年") % {"min": facts.min_years_established, "n": years},
        )
    )

    # E4 失信惩戒
    ok = facts.sanction_until is None
    checks.append(
        Check(
            "E4",
            ApplicationErrorCode.SANCTIONED,
            _("无失信惩戒"),
            ok,
            _("无在期的失信惩戒") if ok else _("贵单位受失信惩戒，%(d)s 前不得申报") % {"d": facts.sanction_until},
        )
    )

    # E5 证明材料时间
    outside_at = [
        i
        for i, u in enumerate(facts.units)
        if u.issued_on is not None
        and not evidence_in_window(
            u.issued_on,
            window=facts.evidence_window,
            years=facts.evidence_years,
            call_year=facts.call_year,
            today=facts.today,
        )
    ]
    undated_at = [i for i, u in enumerate(facts.units) if u.issued_on is None and facts.evidence_window != WINDOW_NONE]
    outside = [facts.units[i].label for i in outside_at]
    undated = [facts.units[i].label for i in undated_at]
    ok = not outside and not undated
    allowed = allowed_dates_text(
        window=facts.evidence_window, years=facts.evidence_years, call_year=facts.call_year, today=facts.today
    )
    if ok:
        message = _("证明材料时间符合要求")
    elif outside:
        message = _("以下事项的取得/发布日期不在本项目要求的时间范围内：%(u)s。本项目接受%(allowed)s的日期") % {
            "u": "、".join(outside),
            "allowed": allowed,
        }
    else:
        message = _("请填写以下事项的取得/发布日期：%(u)s（本项目接受%(allowed)s的日期）") % {
            "u": "、".join(undated),
            "allowed": allowed,
        }
    where = {
        **{
            i: _("%(u)s：请填写取得/发布日期（本项目接受%(allowed)s的日期）")
            % {"u": facts.units[i].label, "allowed": allowed}
            for i in undated_at
        },
        **{
            i: _("%(u)s：取得/发布日期不在要求的时间范围内（本项目接受%(allowed)s的日期）")
            % {"u": facts.units[i].label, "allowed": allowed}
            for i in outside_at
        },
    }
    checks.append(
        Check(
            "E5",
            ApplicationErrorCode.EVIDENCE_OUT_OF_WINDOW,
            _("证明材料时间"),
            ok,
            message,
            tuple((f"units.{i}.issued_on", where[i]) for i in sorted(where)),
        )
    )

    # E6 数量上限与同一事项只资助一次
    over_cap_at = [i for i, r in enumerate(facts.unit_results) if r.reason_code == REASON_YEARLY_CAP_REACHED]
    funded_at = [i for i, r in enumerate(facts.unit_results) if r.reason_code == REASON_ALREADY_FUNDED]
    over_cap = [facts.unit_results[i].key or str(i + 1) for i in over_cap_at]
    funded = [facts.unit_results[i].key or str(i + 1) for i in funded_at]
    ok = not over_cap and not funded
    code = ApplicationErrorCode.YEARLY_CAP_REACHED
    if ok:
        message = _("未超过年度数量上限，无重复资助事项")
    elif over_cap:
        message = _("以下事项超过本年度资助数量上限，请删除后再提交：%(u)s") % {"u": "、".join(over_cap)}
    else:
        message = _("以下事项已获资助，同一事项不重复资助：%(u)s") % {"u": "、".join(funded)}
        code = ApplicationErrorCode.ALREADY_FUNDED
    e6_fields = {
        **{i: _("超过本年度资助数量上限") for i in over_cap_at},
        **{i: _("该事项已获资助，不重复资助") for i in funded_at},
    }
    checks.append(
        Check(
            "E6",
            code,
            _("数量上限与重复资助"),
            ok,
            message,
            tuple((f"units.{i}", e6_fields[i]) for i in sorted(e6_fields)),
        )
    )

    # E7 申报时间
    ok = facts.call_open and facts.program_in_call
    if ok:
        message = _("在申报时间内")
    elif not facts.program_in_call:
        message = _("本批次不受理该项目")
    else:
        message = _("不在申报时间内，系统不再受理提交")
    checks.append(
        Check(
            "E7",
            ApplicationErrorCode.CALL_CLOSED,
            _("申报时间"),
            ok,
            message,
            (("program", message),) if not facts.program_in_call else (),
        )
    )

    # E8 承诺: the message names only the declarations still unticked.
    ok = all(facts.declarations)
    missing = [str(name) for name, given in zip(DECLARATION_NAMES, facts.declarations, strict=True) if not given]
    checks.append(
        Check(
            "E8",
            ApplicationErrorCode.DECLARATIONS_MISSING,
            _("申报承诺"),
            ok,
            _("已确认全部承诺") if ok else _("请勾选：%(d)s") % {"d": "、".join(missing)},
            tuple(
                (f"declarations.{key}", _("请勾选“%(d)s”") % {"d": name})
                for key, name, given in zip(DECLARATION_KEYS, DECLARATION_NAMES, facts.declarations, strict=True)
                if not given
            ),
        )
    )

    # E9 统一社会信用代码
    ok = facts.uscc_valid
    checks.append(
        Check(
            "E9",
            ApplicationErrorCode.USCC_INVALID,
            _("统一社会信用代码"),
            ok,
            _("统一社会信用代码有效") if ok else _("统一社会信用代码校验不通过，请联系管理员"),
        )
    )

    # M1 申报材料
    ok = not facts.missing_attachments
    checks.append(
        Check(
            "M1",
            ApplicationErrorCode.ATTACHMENT_MISSING,
            _("申报材料"),
            ok,
            _("必需材料已上传") if ok else _("请上传：%(m)s") % {"m": "、".join(facts.missing_attachments)},
            tuple(
                (f"attachments.{kind}", _("请上传“%(m)s”") % {"m": name})
                for kind, name in zip(facts.missing_attachment_kinds, facts.missing_attachments, strict=False)
            ),
        )
    )

    # U1 申报内容
    problems: list[str] = []
    unit_fields: list[tuple[str, str]] = []
    if not facts.units:
        problems.append(_("请至少填写一项申报事项"))
        unit_fields.append(("units", _("请至少填写一项申报事项")))
    if facts.key_required and any(not u.has_key for u in facts.units):
        problems.append(_("请填写每一项的编号"))
        unit_fields += [
            (f"units.{i}.key", _("%(u)s：请填写编号") % {"u": u.label})
            for i, u in enumerate(facts.units)
            if not u.has_key
        ]
    if facts.tier_required and any(not u.has_tier for u in facts.units):
        problems.append(_("请为每一项选择档次"))
        unit_fields += [
            (f"units.{i}.tier", _("%(u)s：请选择档次") % {"u": u.label})
            for i, u in enumerate(facts.units)
            if not u.has_tier
        ]
    claims_at = [i for i, r in enumerate(facts.unit_results) if r.reason_code == REASON_CLAIM_MISSING]
    missing_claims = [facts.unit_results[i].key or str(i + 1) for i in claims_at]
    if missing_claims:
        problems.append(_("请填写实际发生费用：%(u)s") % {"u": "、".join(missing_claims)})
        unit_fields += [(f"units.{i}.claim_amount", _("请填写实际发生费用")) for i in claims_at]
    if facts.missing_form_fields:
        problems.append(_("请填写：%(f)s") % {"f": "、".join(facts.missing_form_fields)})
        unit_fields += [
            (f"form_data.{name}", _("请填写“%(f)s”") % {"f": label})
            for name, label in zip(facts.missing_form_field_names, facts.missing_form_fields, strict=False)
        ]
    ok = not problems
    checks.append(
        Check(
            "U1",
            ApplicationErrorCode.INCOMPLETE,
            _("申报内容"),
            ok,
            _("申报内容已填写完整") if ok else "；".join(problems),
            tuple(unit_fields),
        )
    )
    return checks


def failed_checks(checks: Sequence[Check]) -> list[Check]:
    return [c for c in checks if not c.passed]
