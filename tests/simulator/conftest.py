# Reuse the workflow fixtures (roles, programs, the open call, make_application).
from tests.applications.conftest import *  # noqa: F403
