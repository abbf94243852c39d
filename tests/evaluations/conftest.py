"""Fixtures for performance evaluation: the applications workflow fixtures plus a disbursed application's report."""

import pytest

from evaluations import services as evaluation_services
from tests.applications.conftest import *  # noqa: F403


@pytest.fixture
def disbursed(make_application):
    return make_application("disbursed")


@pytest.fixture
def report(disbursed):
    return evaluation_services.open_report(application=disbursed)


def answers(application, achieved: str = "52", explanation: str = "全年培训企业52家，超额完成。"):
    return {target.pk: (achieved, explanation) for target in application.targets.all()}
