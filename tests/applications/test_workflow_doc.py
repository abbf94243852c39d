from pathlib import Path

from applications.workflow_doc import render


def test_docs_workflow_md_is_generated_from_the_state_machine():
    path = Path(__file__).resolve().parents[2] / "docs" / "workflow.md"

    assert path.read_text(encoding="utf-8") == render(), "run: python manage.py workflow_doc > docs/workflow.md"


def test_the_diagram_has_every_transition_edge():
    text = render()

    for edge in (
        "draft --> submitted: submit",
        "returned --> submitted: submit",
        "in_publicity --> rejected: revoke",
        "clawback --> closed: close",
        "accepted --> withdrawn: withdraw",
    ):
        assert edge in text
