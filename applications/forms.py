"""Forms of the applicant's pages. They only shape what was typed; the services decide what is allowed.

Amounts, dates and tiers are taken as typed (text) and handed to ``applications.services``, whose
ValidationError codes the row formsets place beside the field that caused them, so the applicant sees one set of
rules and messages whether they use the pages or the API.
"""

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms import formset_factory
from django.utils.translation import gettext_lazy as _

from applications.error_codes import ApplicationErrorCode
from applications.models import ApplicationUnit, PerformanceTarget
from applications.services import MAX_TARGETS, MAX_UNITS, clean_units
from applications.services.drafts import FORM_TEXT_MAX, FORM_TEXTAREA_MAX
from core.normalise import amount_text, half_width
from core.text import multi_line_text, single_line_text
from programs.models import AmountRule, Call, FieldType, FormField, Program

EXTRA_ROWS = 3

# 2023年度申报指南：按项目资助年度总额控制的原则……申报单位应无条件同意调整结果。
DECLARATION_TEXTS = {
    "truthful": _(
        "真实性承诺：本单位承诺所填报的信息和提交的全部申报材料真实、准确、完整、有效，"
        "不存在弄虚作假、虚报冒领等行为；如有不实，愿意承担由此产生的一切法律责任，"
        "同意退回已获资助资金并接受失信惩戒。"
    ),
    "no_duplicate_funding": _(
        "不得多头申报：本单位承诺本申报事项未以同一内容重复申报市级其他财政专项资金，未获得过市级财政资金的重复资助。"
    ),
    "accept_adjustment": _(
        "接受折算调整：本单位已知悉“按项目资助年度总额控制的原则，根据项目审核数量足额或折算分配，"
        "我局可对资助金额和拨付进度等进行统一调整，申报单位应无条件同意调整结果。”"
        "本单位同意资助金额按上述原则核定。"
    ),
}


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def _text(label: str, *, max_length: int, help_text: str = "", **attrs: Any) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=max_length,
        required=False,
        help_text=help_text,
        widget=forms.TextInput(attrs=attrs),
        validators=[single_line_text],
    )


class NewApplicationForm(forms.Form):
    """Choose an open call and one of its programs: the value is "<call pk>:<program pk>"."""

    choice = forms.ChoiceField(
        label=_("申报批次与项目"),
        widget=forms.RadioSelect,
        error_messages={"required": _("请选择要申报的项目"), "invalid_choice": _("请选择正在申报的批次中的项目")},
    )

    def __init__(self, *args: Any, calls: Iterable[Call], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.options: dict[str, tuple[Call, Program]] = {}
        for call in calls:
            for program in call.programs.all():
                self.options[f"{call.pk}:{program.pk}"] = (call, program)
        self.fields["choice"].choices = [(value, f"{c.title} · {p.name}") for value, (c, p) in self.options.items()]

    @property
    def chosen(self) -> tuple[Call, Program]:
        return self.options[self.cleaned_data["choice"]]


def _row_number(form: forms.Form) -> int:
    """The row's number as the page shows it (第n项), from the formset prefix "units-3" → 4."""
    index = (form.prefix or "").rsplit("-", 1)[-1]
    return int(index) + 1 if index.isdigit() else 1


class UnitRowForm(forms.Form):
    """One unit (certificate, accreditation, matter, honour or the project); columns depend on the program."""

    key = _text(_("编号"), max_length=100, autocomplete="off", spellcheck="false")
    tier = forms.CharField(label=_("档次"), required=False, widget=forms.Select)
    claim_amount = _text(
        _("申报金额（元）"),
        max_length=20,
        help_text=_("以元为单位，可写 32000、32,000 或 3.2万。"),
        inputmode="decimal",
        autocomplete="off",
        placeholder=_("例如 32000"),
    )
    issued_on = forms.CharField(
        label=_("取得/发布日期"),
        required=False,
        max_length=20,
        widget=DateInput(),
        help_text=_("证书或文件上的日期，例如 2026-03-15。"),
    )
    description = _text(_("说明"), max_length=300)

    def __init__(self, *args: Any, program: Program, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.program = program
        if program.unit_key_label:
            self.fields["key"].label = program.unit_key_label
        if program.funded_once:
            self.fields["key"].help_text = _("与证书或文件上的一致；同一%(key)s只资助一次。") % {
                "key": program.unit_key_label or _("编号")
            }
        self.fields["tier"].widget.choices = [("", _("请选择档次")), *((t.code, str(t)) for t in program.tiers.all())]
        if program.claim_required and program.unit_amount is not None:
            self.fields["claim_amount"].help_text = _(
                "填实际发生的费用（元，可写 32000、32,000 或 3.2万）；每%(unit)s最高按%(amount)s元资助。"
            ) % {
                "unit": program.unit_label,
                "amount": f"{program.unit_amount:,.0f}",
            }
        if program.amount_rule == AmountRule.FIXED:
            self.fields["description"].label = _("项目名称")
        for name in self.hidden_columns(program):
            del self.fields[name]

    def clean_claim_amount(self) -> str:
        # 「30,000」「3万」「３００００」 are the amount the clerk meant.
        return amount_text(self.cleaned_data.get("claim_amount") or "")

    def clean(self) -> dict[str, Any]:
        """Check the row with the service's own rules, so that every row's error shows in the same round."""
        cleaned = super().clean()
        row = {name: str(cleaned.get(name) or "").strip() for name in self.fields if name != "DELETE"}
        if self.errors or cleaned.get("DELETE") or not any(row.values()):
            return cleaned
        try:
            clean_units(self.program, [row])
        except ValidationError as error:
            item = _first_error(error, "units")
            field = UNIT_FIELD_BY_CODE.get(item.code) if item is not None else None
            if item is not None and field in self.fields and field != "key":
                # The service names the row "第1项" (it saw one row): name it by its place on the page.
                first, here = str(_("第%(n)s项") % {"n": 1}), str(_("第%(n)s项") % {"n": _row_number(self)})
                message = item.messages[0]
                self.add_error(field, here + message.removeprefix(first) if message.startswith(first) else message)
        return cleaned

    @staticmethod
    def hidden_columns(program: Program) -> list[str]:
        hidden = []
        if not program.is_tiered:
            hidden.append("tier")
        if not program.claim_required:
            hidden.append("claim_amount")
        if program.amount_rule == AmountRule.FIXED and not program.funded_once and not program.unit_key_label:
            hidden += ["key", "issued_on"]
        return hidden

    @staticmethod
    def initial_for(unit: ApplicationUnit) -> dict[str, str]:
        return {
            "key": unit.key,
            "tier": unit.tier.code if unit.tier_id else "",
            "claim_amount": "" if unit.claim_amount is None else f"{unit.claim_amount.normalize():f}",
            "issued_on": unit.issued_on.isoformat() if unit.issued_on else "",
            "description": unit.description,
        }


class TargetRowForm(forms.Form):
    indicator = _text(_("指标"), max_length=200, placeholder=_("例如 培训企业数量"))
    target = _text(_("目标值"), max_length=100, placeholder=_("例如 50"))
    unit = _text(_("单位"), max_length=30, placeholder=_("例如 家"))

    @staticmethod
    def initial_for(target: PerformanceTarget) -> dict[str, str]:
        return {"indicator": target.indicator, "target": target.target, "unit": target.unit}

    def clean(self) -> dict[str, Any]:
        """A row with something typed needs its indicator and its target value: every such row is named at once."""
        cleaned = super().clean()
        filled = any(str(cleaned.get(name) or "").strip() for name in ("indicator", "target", "unit"))
        if filled and not cleaned.get("DELETE") and not self.errors:
            for name in ("indicator", "target"):
                if not str(cleaned.get(name) or "").strip():
                    self.add_error(name, _("第%(n)s项绩效目标须填写指标和目标值") % {"n": _row_number(self)})
        return cleaned


class BaseRowFormSet(forms.BaseFormSet):
    """Rows as typed: blank rows and rows ticked for deletion are left out of what is saved."""

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        # Clean every row, also unchanged extra ones: a row is kept or dropped by what it holds, not by
        # whether it differs from the initial data (which may have moved since the page was loaded).
        return {**super().get_form_kwargs(index), "empty_permitted": False, "use_required_attribute": False}

    def filled_forms(self) -> list[forms.Form]:
        deleted = set(self.deleted_forms) if self.can_delete else set()
        return [
            form
            for form in self.forms
            if form not in deleted and any(str(form.cleaned_data.get(name) or "").strip() for name in form.fields)
        ]

    def rows(self) -> list[dict[str, str]]:
        return [
            {name: str(form.cleaned_data.get(name) or "").strip() for name in form.fields if name != "DELETE"}
            for form in self.filled_forms()
        ]


def _first_error(error: ValidationError, field: str) -> ValidationError | None:
    if hasattr(error, "error_dict") and field in error.error_dict:
        return error.error_dict[field][0]
    return None


# Which row field a units error of the service belongs to, by its code.
UNIT_FIELD_BY_CODE = {
    ApplicationErrorCode.TIER_INVALID: "tier",
    ApplicationErrorCode.NEGATIVE_AMOUNT: "claim_amount",
    ApplicationErrorCode.INVALID_AMOUNT: "claim_amount",
    ApplicationErrorCode.INVALID_DATE: "issued_on",
    ApplicationErrorCode.DUPLICATE_UNIT_KEY: "key",
}


class BaseUnitFormSet(BaseRowFormSet):
    def place_service_error(self, error: ValidationError) -> list[str]:
        """Put each of the service's units errors beside the field of the row it names (the service marks each
        with ``row``, counted over the filled rows); return the messages that have no field."""
        if not (hasattr(error, "error_dict") and "units" in error.error_dict):
            return list(error.messages)
        forms = self.filled_forms()
        unplaced: list[str] = []
        for item in error.error_dict["units"]:
            message, row = item.messages[0], getattr(item, "row", None)
            field = UNIT_FIELD_BY_CODE.get(item.code)
            if row is not None and row < len(forms) and field in forms[row].fields:
                forms[row].add_error(field, message)
            else:
                unplaced.append(message)
        return unplaced


class BaseTargetFormSet(BaseRowFormSet):
    def place_service_error(self, error: ValidationError) -> list[str]:
        """Put each of the service's targets errors beside the empty field of the incomplete row it names (``row``,
        counted over the filled rows); return the messages that have no field."""
        if not (hasattr(error, "error_dict") and "targets" in error.error_dict):
            return list(error.messages)
        forms, rows = self.filled_forms(), self.rows()
        unplaced: list[str] = []
        for item in error.error_dict["targets"]:
            message, index = item.messages[0], getattr(item, "row", None)
            if item.code == ApplicationErrorCode.TARGET_INCOMPLETE and index is not None and index < len(forms):
                forms[index].add_error("indicator" if not rows[index]["indicator"] else "target", message)
            else:
                unplaced.append(message)
        return unplaced


UnitFormSet = formset_factory(
    UnitRowForm,
    formset=BaseUnitFormSet,
    extra=EXTRA_ROWS,
    can_delete=True,
    can_delete_extra=False,
    max_num=MAX_UNITS,
    absolute_max=MAX_UNITS + EXTRA_ROWS,
)
TargetFormSet = formset_factory(
    TargetRowForm,
    formset=BaseTargetFormSet,
    extra=EXTRA_ROWS,
    can_delete=True,
    can_delete_extra=False,
    max_num=MAX_TARGETS,
    absolute_max=MAX_TARGETS + EXTRA_ROWS,
)


class AmountField(forms.DecimalField):
    """A decimal as a clerk types it: 「30,000」「3万」「３００００」 are read as 30000."""

    def to_python(self, value: Any) -> Decimal | None:
        if isinstance(value, str):
            value = amount_text(value)
        return super().to_python(value)


class HalfWidthIntegerField(forms.IntegerField):
    """An integer typed with full-width digits (「１２」) is read as 12."""

    def to_python(self, value: Any) -> int | None:
        if isinstance(value, str):
            value = half_width(value).replace(",", "").replace("，", "").strip()
        return super().to_python(value)


def _program_field(field: FormField) -> forms.Field:
    # Required fields are enforced at submit (a draft may be saved half-filled); the marker says so.
    common: dict[str, Any] = {"label": field.label, "required": False, "help_text": field.help_text}
    if field.field_type == FieldType.TEXTAREA:
        django_field: forms.Field = forms.CharField(
            widget=forms.Textarea(attrs={"rows": 4}),
            max_length=FORM_TEXTAREA_MAX,
            validators=[multi_line_text],
            **common,
        )
    elif field.field_type == FieldType.INTEGER:
        common["help_text"] = common["help_text"] or _("填整数，例如 12。")
        django_field = HalfWidthIntegerField(
            widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}), **common
        )
    elif field.field_type == FieldType.DECIMAL:
        common["help_text"] = common["help_text"] or _("填数字，可写 30000、30,000 或 3万。")
        django_field = AmountField(
            widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}), **common
        )
    elif field.field_type == FieldType.DATE:
        common["help_text"] = common["help_text"] or _("例如 2026-03-15。")
        django_field = forms.DateField(widget=DateInput(), **common)
    elif field.field_type == FieldType.CHOICE:
        django_field = forms.ChoiceField(choices=[("", _("请选择")), *((c, c) for c in field.choice_list)], **common)
    elif field.field_type == FieldType.BOOLEAN:
        django_field = forms.BooleanField(**common)
    else:
        django_field = forms.CharField(max_length=FORM_TEXT_MAX, validators=[single_line_text], **common)
    django_field.show_required = field.is_required
    return django_field


class ProgramFieldsForm(forms.Form):
    """The program's extra questions (FormField rows), each rendered by its type."""

    def __init__(self, *args: Any, program: Program, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in program.form_fields.all():
            self.fields[field.name] = _program_field(field)

    def form_data(self) -> dict[str, Any]:
        """The cleaned values in the shape ``services.update_application`` takes."""
        data: dict[str, Any] = {}
        for name, value in self.cleaned_data.items():
            if value is None:
                data[name] = ""
            elif isinstance(value, date):
                data[name] = value.isoformat()
            elif isinstance(value, Decimal):
                data[name] = str(value)
            else:
                data[name] = value
        return data


class DeclarationsForm(forms.Form):
    truthful = forms.BooleanField(label=DECLARATION_TEXTS["truthful"], required=False)
    no_duplicate_funding = forms.BooleanField(label=DECLARATION_TEXTS["no_duplicate_funding"], required=False)
    accept_adjustment = forms.BooleanField(label=DECLARATION_TEXTS["accept_adjustment"], required=False)
