from tests.applications.conftest import *  # noqa: F403
