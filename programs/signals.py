"""The rule that a call covers the programs of its own rule set only, held for every write path (admin form,
commands, shell), not just the admin's form."""

from django.core.exceptions import ValidationError
from django.db.models.signals import m2m_changed
from django.utils.translation import gettext as _

from programs.error_codes import ProgramErrorCode
from programs.models import Call, Program


def refuse_programs_of_another_rule_set(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    if action != "pre_add" or not pk_set:
        return
    if reverse:  # program.<calls>.add(call, …): one program, several calls
        others = Call.objects.filter(pk__in=pk_set).exclude(rule_set_id=instance.rule_set_id)
        outside = [instance.code] if others.exists() else []
    else:
        others = Program.objects.filter(pk__in=pk_set).exclude(rule_set_id=instance.rule_set_id)
        outside = list(others.values_list("code", flat=True))
    if outside:
        raise ValidationError(
            _("以下项目不属于本批次的规则集：%(codes)s") % {"codes": "、".join(sorted(outside))},
            code=ProgramErrorCode.PROGRAM_OUTSIDE_RULE_SET,
        )


def connect_rule_set_signals() -> None:
    m2m_changed.connect(
        refuse_programs_of_another_rule_set, sender=Call.programs.through, dispatch_uid="programs-call-rule-set"
    )
