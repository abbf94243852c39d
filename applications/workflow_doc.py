"""Generate docs/workflow.md from the state machine itself, so the diagram never drifts from the code."""

from applications import models
from applications.models import APPLICANT_LABELS, TRANSITION_LABELS, TRANSITION_NAMES, Application, State
from applications.services import TRANSITION_SERVICES

ROLE_LABELS = {
    models.is_member: "申报单位成员",
    models.is_intake: "受理员",
    models.is_approver: "审定人",
    models.is_intake_or_approver: "受理员或审定人",
    models.is_finance: "财务人员",
    models.is_approver_or_finance: "审定人或财务人员",
    models.is_system_or_approver: "系统（公示期满定时任务）或审定人",
}


def transitions() -> list[tuple[str, list[str], str, str]]:
    """(public name, sources, target, who) for every transition, in declaration order."""
    rows = []
    for method_name, public in TRANSITION_NAMES.items():
        meta = getattr(Application, method_name)._django_fsm
        sources = list(meta.transitions)
        first = meta.transitions[sources[0]]
        rows.append((public, sources, first.target, ROLE_LABELS[first.permission]))
    return rows


def render() -> str:
    lines = [
        "# Workflow: 申报 → 审核 → 公示 → 拨付 → 绩效评价",
        "",
        "Generated from `applications/models.py` by `python manage.py workflow_doc > docs/workflow.md`;",
        "a test fails when this file and the code disagree.",
        "",
        "```mermaid",
        "stateDiagram-v2",
        "    [*] --> draft",
    ]
    for public, sources, target, _who in transitions():
        for source in sources:
            lines.append(f"    {source} --> {target}: {public}")
    lines += ["    rejected --> [*]", "    withdrawn --> [*]", "    closed --> [*]", "```", ""]
    lines += ["## States", "", "| State | Staff label | Applicant label |", "|---|---|---|"]
    for state in State:
        lines.append(f"| `{state.value}` | {state.label} | {APPLICANT_LABELS[state]} |")
    lines += ["", "## Transitions and who may take them", ""]
    lines += ["| Transition | Label | From | To | Who | Service |", "|---|---|---|---|---|---|"]
    for public, sources, target, who in transitions():
        service = f"`{TRANSITION_SERVICES[public].__name__}`"
        froms = ", ".join(f"`{s}`" for s in sources)
        lines.append(f"| `{public}` | {TRANSITION_LABELS[public]} | {froms} | `{target}` | {who} | {service} |")
    lines += [
        "",
        "Every transition writes one `ApplicationEvent` (who, when, from, to, comment) in the same transaction as the",
        "state change, and notifies the applicant organisation's members after commit (in the portal and by email).",
        "A role that may never take a transition gets HTTP 403; a transition not allowed from the current state gets",
        "409 `transition_not_allowed`; an application the user may not see gets 404.",
        "",
        "Business checks on top of the machine: `submit` runs the eligibility checks E1–E9, materials (M1) and",
        "content (U1) and counts caps under a row lock per (organisation, year); `return` needs a reason and a due",
        "date; `reject`, `revoke` and `claw_back` need a reason.",
        "",
    ]
    return "\n".join(lines)
