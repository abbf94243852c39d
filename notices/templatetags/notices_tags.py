from django import template
from django.urls import reverse
from django.utils.translation import gettext as _

from applications.models import Application
from notices.selectors import award_notice_url
from programs.models import MaterialTemplate

register = template.Library()


@register.filter(name="award_notice_url")
def award_notice_url_filter(application: Application) -> str | None:
    """The award notice's download URL once it is ready (no query with ``select_related("award_notice")``)."""
    return award_notice_url(application)


@register.simple_tag
def material_template(application: Application, kind: str) -> dict[str, str] | None:
    """The document a material of this application comes with (the filled-in 申报承诺书, or the 申报书 itself to
    print, sign and stamp) as {"url", "label"}; None for a material without one.

    The program's requirements are read once per page and kept on the program object.
    """
    program = application.program
    templates = getattr(program, "_material_templates", None)
    if templates is None:
        templates = {r.kind: r.template for r in program.attachment_requirements.all() if r.template}
        program._material_templates = templates
    template = templates.get(kind)
    if template == MaterialTemplate.COMMITMENT:
        return {"url": reverse("notices:commitment", args=[program.code]), "label": _("下载申报承诺书模板（PDF）")}
    if template == MaterialTemplate.APPLICATION_FORM:
        return {"url": reverse("notices:application_form", args=[application.pk]), "label": _("下载申报书（PDF）")}
    return None
