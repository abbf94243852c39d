"""Forms of the public objection page and the staff screens."""

from django import forms
from django.utils.translation import gettext_lazy as _

from programs.models import Call
from publicity.models import PublicityNotice


class ObjectionForm(forms.Form):
    """A real-name objection; the service does the real checks and its errors are put back on these fields."""

    entry = forms.TypedChoiceField(label=_("异议对象"), required=False, coerce=int, empty_value=None)
    name = forms.CharField(label=_("真实姓名"), max_length=50)
    organisation = forms.CharField(
        label=_("工作单位"), max_length=200, required=False, help_text=_("以单位名义提出的，请填写单位全称。")
    )
    phone = forms.CharField(
        label=_("联系电话"),
        max_length=20,
        help_text=_("手机或带区号的固定电话，仅供工作人员核实，不会公开。"),
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    content = forms.CharField(
        label=_("异议内容和理由"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("请写明异议的事实和理由，并尽量提供证明材料。"),
    )
    letter = forms.FileField(
        label=_("加盖公章的异议书（可选）"),
        required=False,
        help_text=_("PDF、JPG 或 PNG 格式。提交未成功时需重新选择文件。"),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"}),
    )

    def __init__(self, *args: object, notice: PublicityNotice, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["entry"].choices = [("", _("整个公示（不针对具体申报）"))] + [
            (entry.pk, f"{entry.organisation_name} · {entry.program_name}") for entry in notice.entries.all()
        ]


class OpenNoticeForm(forms.Form):
    call = forms.ModelChoiceField(
        label=_("申报批次"),
        queryset=Call.objects.order_by("-year", "-opens_at"),
        help_text=_("将该批次所有“拟资助”的申报按资金分配结果列入公示；公示期按批次设置的工作日数计算，发布当日计入。"),
    )
    title = forms.CharField(
        label=_("公示标题"), max_length=200, required=False, help_text=_("留空则为“批次名称拟资助项目公示”。")
    )


class DecisionForm(forms.Form):
    reason = forms.CharField(label=_("处理意见"), widget=forms.Textarea(attrs={"rows": 4}), max_length=2000)
