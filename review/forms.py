"""Admin forms for review: the verification checklist, the scoring sheet and the expert assignment."""

from collections.abc import Sequence
from typing import Any

from django import forms
from django.contrib.auth.models import Group
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.roles import EXPERT
from programs.models import ScoringCriterion, VerificationItem
from review.models import VerificationCheck


class VerificationChecklistForm(forms.Form):
    """One "passed" checkbox and one note per checklist item, prefilled with what was recorded."""

    def __init__(
        self, *args: Any, items: Sequence[VerificationItem], checks: Sequence[VerificationCheck] = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.items = list(items)
        self.recorded = {check.item_id: check for check in checks}
        for item in self.items:
            check = self.recorded.get(item.pk)
            self.fields[f"passed_{item.pk}"] = forms.BooleanField(
                label=item.text, required=False, help_text=item.help_text, initial=check.passed if check else False
            )
            self.fields[f"note_{item.pk}"] = forms.CharField(
                label=_("核实意见"),
                required=False,
                max_length=1000,
                widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
                initial=check.note if check else "",
            )

    def rows(self) -> list[tuple[VerificationItem, forms.BoundField, forms.BoundField, VerificationCheck | None]]:
        return [
            (item, self[f"passed_{item.pk}"], self[f"note_{item.pk}"], self.recorded.get(item.pk))
            for item in self.items
        ]

    def results(self) -> dict[int, tuple[bool, str]]:
        return {
            item.pk: (self.cleaned_data[f"passed_{item.pk}"], self.cleaned_data[f"note_{item.pk}"])
            for item in self.items
        }


class ScoreSheetForm(forms.Form):
    """A score and a comment per criterion; ranges are checked by ``submit_scores``, whose errors land on the fields."""

    def __init__(self, *args: Any, criteria: Sequence[ScoringCriterion], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.criteria = list(criteria)
        for criterion in self.criteria:
            self.fields[f"score_{criterion.pk}"] = forms.DecimalField(
                label=_("得分（满分%(max)s）") % {"max": criterion.max_score},
                required=False,
                max_digits=6,
                decimal_places=2,
                widget=forms.NumberInput(attrs={"step": "0.01", "min": "0", "max": str(criterion.max_score)}),
            )
            self.fields[f"comment_{criterion.pk}"] = forms.CharField(
                label=_("评语"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2, "cols": 60})
            )

    def rows(self) -> list[tuple[ScoringCriterion, forms.BoundField, forms.BoundField]]:
        return [(c, self[f"score_{c.pk}"], self[f"comment_{c.pk}"]) for c in self.criteria]

    def scores(self) -> dict[int, tuple[Any, str]]:
        return {c.pk: (self.cleaned_data[f"score_{c.pk}"], self.cleaned_data[f"comment_{c.pk}"]) for c in self.criteria}


def expert_choices() -> QuerySet[User]:
    """Active staff users in the 评审专家 group."""
    group = Group.objects.filter(name=EXPERT.group_name).first()
    if group is None:
        return User.objects.none()
    return group.user_set.filter(is_active=True, is_staff=True).order_by("full_name", "email")


class AssignExpertsForm(forms.Form):
    experts = forms.ModelMultipleChoiceField(
        label=_("评审专家"), queryset=User.objects.none(), widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["experts"].queryset = expert_choices()
