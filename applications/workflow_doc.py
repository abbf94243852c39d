"""Generate docs/workflow.md from the workflow table itself (``applications.workflow.STEPS``), so it never drifts."""

from applications.workflow import APPLICANT_LABELS, DRIVER_WHERE, STEPS, Driver, State

DRIVER_TEXT = {
    Driver.PERSON: "a person at this step (generic transition endpoint, admin button or bulk action, applicant page)",
    Driver.PUBLICITY: "publicity (公示): its own services only",
    Driver.PAYOUTS: "payouts (拨付): its own services only",
    Driver.EVALUATIONS: "evaluations (绩效评价): its own services only",
}


def render() -> str:
    lines = [
        "# Workflow: 申报 → 审核 → 公示 → 拨付 → 绩效评价",
        "",
        "Generated from `applications/workflow.py` (`STEPS`, the one table of the workflow) by",
        "`python manage.py workflow_doc > docs/workflow.md`; a test fails when this file and the code disagree.",
        "",
        "```mermaid",
        "stateDiagram-v2",
        "    [*] --> draft",
    ]
    for step in STEPS:
        for source in step.sources:
            lines.append(f"    {source.value} --> {step.target.value}: {step.name}")
    lines += ["    rejected --> [*]", "    withdrawn --> [*]", "    closed --> [*]", "```", ""]
    lines += ["## States", "", "| State | Staff label | Applicant label |", "|---|---|---|"]
    for state in State:
        lines.append(f"| `{state.value}` | {state.label} | {APPLICANT_LABELS[state]} |")
    lines += ["", "## Transitions: who may take them and who drives them", ""]
    lines += [
        "| Transition | Staff label | Applicant sees | From | To | Who | Needs | Driven by | Service |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for step in STEPS:
        froms = ", ".join(f"`{s.value}`" for s in step.sources)
        needs = ", ".join(sorted(p.value for p in step.params)) or "—"
        driver = "person" if step.person_driven else step.driver.value
        lines.append(
            f"| `{step.name}` | {step.label} | {step.applicant_label} | {froms} | `{step.target.value}` | "
            f"{step.who()} | {needs} | {driver} | `{step.service}` |"
        )
    lines += ["", "## Who drives a transition", ""]
    for driver in Driver:
        where = f" The generic entry answers: 「{DRIVER_WHERE[driver]}」." if driver in DRIVER_WHERE else ""
        lines.append(f"- **{driver.value}**: {DRIVER_TEXT[driver]}.{where}")
    lines += [
        "",
        "Only person-driven transitions go through the generic entry (`applications.services.run_transition`: the",
        "API's `POST /api/v1/applications/{id}/transitions/`, the admin's transition page and bulk actions, the",
        "applicant's pages). A stage-driven one answers HTTP 409 `transition_driven_by_stage` there, for every role",
        "and state, and changes nothing; it happens only inside its stage's service, which calls the next stage",
        "itself: the publicity close job asks `notices` for the award notice, a paid payout line asks `evaluations`",
        "to open the performance report.",
        "",
        "Every transition writes one `ApplicationEvent` (who, when, from, to, comment), chained by hash to the",
        "previous one, in the same transaction as the state change, and notifies the applicant organisation's",
        "members after commit (in the portal and by e-mail), except `approve` and `send_back`, which the applicant",
        "does not see (拟资助 still reads 审核中 for them), and only when the state the applicant sees changes.",
        "A role that may never take a transition gets HTTP 403; a transition not allowed from the current state",
        "gets 409 `transition_not_allowed`; an application the user may not see gets 404.",
        "",
        "Business checks on top of the machine: `submit` runs the eligibility checks, materials and content and",
        "counts caps under a row lock per (organisation, year); `approve` re-checks the caps and runs the guards",
        "that review registers (the verification checklist, the expert scores); `return` needs a reason and a due",
        "date; `reject`, `send_back`, `revoke` and `claw_back` need a reason.",
        "",
    ]
    return "\n".join(lines)
