"""Forms of performance evaluation: the applicant's report and the reviewer's grade."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from applications.models import PerformanceTarget
from evaluations.models import Grade


class ReportForm(forms.Form):
    """One achieved value and one explanation per declared target, plus an optional supporting file."""

    file = forms.FileField(
        label=_("上传佐证材料（可选）"),
        required=False,
        help_text=_("PDF、JPG 或 PNG。一次上传一个文件；需要多个时，提交后再上传。"),
    )

    def __init__(self, *args: Any, targets: list[PerformanceTarget], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.targets = targets
        for target in targets:
            self.fields[f"achieved_{target.pk}"] = forms.CharField(
                label=_("实际完成值"),
                max_length=100,
                help_text=_("目标值：%(t)s%(u)s") % {"t": target.target, "u": target.unit},
                error_messages={"required": _("请填写“%(i)s”的实际完成值") % {"i": target.indicator}},
            )
            self.fields[f"explanation_{target.pk}"] = forms.CharField(
                label=_("完成情况说明"),
                max_length=2000,
                widget=forms.Textarea(attrs={"rows": 3}),
                error_messages={"required": _("请填写“%(i)s”的完成情况说明") % {"i": target.indicator}},
            )
        for name, field in self.fields.items():
            field.show_required = name != "file"  # read by applications/_field.html
        # Keep the file input last, after every target.
        self.order_fields([name for name in self.fields if name != "file"] + ["file"])

    def target_rows(self) -> list[dict[str, Any]]:
        return [
            {"target": t, "achieved": self[f"achieved_{t.pk}"], "explanation": self[f"explanation_{t.pk}"]}
            for t in self.targets
        ]

    def results(self) -> dict[int, tuple[str, str]]:
        data = self.cleaned_data
        return {t.pk: (data.get(f"achieved_{t.pk}", ""), data.get(f"explanation_{t.pk}", "")) for t in self.targets}


class GradeForm(forms.Form):
    grade = forms.ChoiceField(label=_("评价等级"), choices=Grade.choices)
    comment = forms.CharField(
        label=_("评价意见"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text=_("不合格时必填，将作为追回原因告知申报单位。"),
    )
    clawback_amount = forms.DecimalField(
        label=_("追回金额（元）"),
        max_digits=14,
        decimal_places=2,
        required=False,
        help_text=_("仅不合格时使用；留空则追回全部核定资助金额。"),
    )
    clawback_due_on = forms.DateField(
        label=_("退回截止日期"), required=False, help_text=_("仅不合格时使用；留空则为90天后。")
    )
    sanction_ends_on = forms.DateField(
        label=_("限制申报截止日期"), required=False, help_text=_("仅不合格时使用；留空则为3年后。")
    )


class FraudForm(forms.Form):
    reason = forms.CharField(label=_("查实的违规情形"), max_length=1000, widget=forms.Textarea(attrs={"rows": 4}))
    amount = forms.DecimalField(
        label=_("追回金额（元）"), max_digits=14, decimal_places=2, required=False, help_text=_("留空则追回全部。")
    )
    due_on = forms.DateField(label=_("退回截止日期"), required=False, help_text=_("留空则为90天后。"))
    sanction_ends_on = forms.DateField(label=_("限制申报截止日期"), required=False, help_text=_("留空则为3年后。"))
