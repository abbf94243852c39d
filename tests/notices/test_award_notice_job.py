"""The award notice job: idempotent, atomic on disk, failures recorded, queued after the award commits."""

import os
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import OperationalError

from notices import services
from notices.hooks import on_awarded
from notices.models import AwardNotice, NoticeStatus, notice_folder
from notices.services import ensure_award_notice, write_file_atomically
from notices.tasks import render_award_notice_task

pytestmark = pytest.mark.django_db


def folder_files(storage, application_id: int) -> list[str]:
    try:
        return sorted(storage.listdir(notice_folder(application_id))[1])
    except FileNotFoundError:
        return []


def test_running_the_task_twice_gives_one_notice_and_one_file(awarded, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert render_award_notice_task.delay(application_id=awarded.pk).get() == "done"
        first = AwardNotice.objects.get(application=awarded)
        assert render_award_notice_task.delay(application_id=awarded.pk).get() == "done"

    notice = AwardNotice.objects.get(application=awarded)
    assert AwardNotice.objects.count() == 1
    assert notice.verification_code == first.verification_code
    assert notice.file.name == first.file.name
    assert notice.sha256 == first.sha256
    assert notice.generation == 1
    assert folder_files(notice.file.storage, awarded.pk) == [os.path.basename(notice.file.name)]


@pytest.mark.parametrize("state", ["draft", "approved", "in_publicity", "rejected"])
def test_the_task_skips_applications_that_are_not_awarded(make_application, state):
    application = make_application(state)

    assert render_award_notice_task.delay(application_id=application.pk).get() == "skipped"
    assert not AwardNotice.objects.exists()


def test_the_task_skips_an_unknown_application():
    assert render_award_notice_task.delay(application_id=999_999).get() == "skipped"


def test_changed_facts_are_rendered_again_with_the_same_code(awarded, django_capture_on_commit_callbacks):
    first = ensure_award_notice(application_id=awarded.pk)
    awarded.allocated_amount = Decimal("120000")
    awarded.save(update_fields=["allocated_amount"])

    with django_capture_on_commit_callbacks(execute=True):
        notice = ensure_award_notice(application_id=awarded.pk)

    assert notice.verification_code == first.verification_code
    assert notice.generation == 2
    assert notice.amount == Decimal("120000.00")
    assert notice.facts["amount_in_words"] == "人民币壹拾贰万元整"
    assert folder_files(notice.file.storage, awarded.pk) == [os.path.basename(notice.file.name)]


def test_a_render_error_is_recorded_and_the_next_run_recovers(awarded, monkeypatch):
    def broken(html, **kwargs):
        raise ValueError("模板错误")

    monkeypatch.setattr(services, "render_html_to_pdf", broken)
    with pytest.raises(ValueError):
        ensure_award_notice(application_id=awarded.pk)
    notice = AwardNotice.objects.get(application=awarded)
    assert notice.status == NoticeStatus.FAILED
    assert notice.error == "ValueError: 模板错误"
    assert not notice.file
    assert notice.sha256 == ""
    code = notice.verification_code

    monkeypatch.undo()
    notice = ensure_award_notice(application_id=awarded.pk)

    assert notice.status == NoticeStatus.DONE
    assert notice.error == ""
    assert notice.verification_code == code


def test_a_crash_while_writing_leaves_no_file_under_the_final_name(settings, monkeypatch):
    settings.NOTICE_RENDER_DELAY_ALLOWED = True
    monkeypatch.setenv("NOTICE_RENDER_DELAY_SECONDS", "5")

    def crash(seconds):  # the process dies halfway through the write
        raise SystemExit("killed")

    monkeypatch.setattr(services.time, "sleep", crash)

    with pytest.raises(SystemExit):
        write_file_atomically(default_storage, "private/notices/7/final.pdf", b"%PDF-" + b"x" * 1000)

    assert not default_storage.exists("private/notices/7/final.pdf")
    assert folder_files(default_storage, 7) == [".final.pdf.part"]


def test_the_write_delay_is_ignored_unless_the_settings_allow_it(settings, monkeypatch):
    monkeypatch.setenv("NOTICE_RENDER_DELAY_SECONDS", "30")
    settings.NOTICE_RENDER_DELAY_ALLOWED = False
    assert services._test_write_delay() == 0

    settings.NOTICE_RENDER_DELAY_ALLOWED = True
    assert services._test_write_delay() == 30


def test_files_left_by_a_killed_render_are_swept_by_the_next_one(awarded, django_capture_on_commit_callbacks):
    folder = notice_folder(awarded.pk)
    default_storage.save(f"{folder}/.abandoned.pdf.part", ContentFile(b"%PDF-half"))
    default_storage.save(f"{folder}/orphan.pdf", ContentFile(b"%PDF-renamed-but-never-referenced"))

    with django_capture_on_commit_callbacks(execute=True):
        notice = ensure_award_notice(application_id=awarded.pk)

    assert folder_files(default_storage, awarded.pk) == [os.path.basename(notice.file.name)]


def test_a_render_that_loses_a_race_keeps_the_winners_file(awarded, django_capture_on_commit_callbacks):
    # Two runs of the job claim the same notice before either has stored its file.
    first_claim, facts = services._claim(awarded.pk, force=False)
    second_claim, same_facts = services._claim(awarded.pk, force=False)
    assert facts == same_facts

    with django_capture_on_commit_callbacks(execute=True):
        winner = services._render_and_store(first_claim, facts, force=False)
        loser = services._render_and_store(second_claim, same_facts, force=False)

    assert loser.pk == winner.pk
    assert loser.file.name == winner.file.name
    assert loser.generation == 1
    assert folder_files(winner.file.storage, awarded.pk) == [os.path.basename(winner.file.name)]


def test_a_transient_database_error_is_retried(awarded, monkeypatch):
    calls = []
    real = services.ensure_award_notice

    def flaky(*, application_id):
        calls.append(application_id)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real(application_id=application_id)

    monkeypatch.setattr("notices.tasks.ensure_award_notice", flaky)

    # throw=False: run the retry eagerly as a worker would, instead of raising Retry to the caller.
    result = render_award_notice_task.apply(kwargs={"application_id": awarded.pk}, throw=False)

    assert len(calls) == 2
    assert result.get() == "done"
    assert AwardNotice.objects.get(application=awarded).status == NoticeStatus.DONE


def test_the_task_is_late_acknowledged_and_retries_a_bounded_number_of_times():
    assert render_award_notice_task.acks_late is True
    assert render_award_notice_task.reject_on_worker_lost is True
    assert render_award_notice_task.max_retries == 5
    assert OperationalError in render_award_notice_task.autoretry_for


def test_on_awarded_queues_the_render_after_commit(awarded, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        on_awarded(awarded)
    assert len(callbacks) == 1
    assert not AwardNotice.objects.exists()  # nothing happens before the award commits

    callbacks[0]()

    assert AwardNotice.objects.get(application=awarded).status == NoticeStatus.DONE


def test_a_storage_error_marks_the_notice_failed_for_a_retry(awarded, monkeypatch):
    def disk_full(storage, name, data):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(services, "write_file_atomically", disk_full)

    with pytest.raises(OSError):
        ensure_award_notice(application_id=awarded.pk)

    notice = AwardNotice.objects.get(application=awarded)
    assert notice.status == NoticeStatus.FAILED
    assert "No space left on device" in notice.error
    assert OSError in render_award_notice_task.autoretry_for
