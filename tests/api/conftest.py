"""The workflow fixtures of tests/applications (one user per role, an open call with two programs, a valid
application walked to any state), for the API tests here."""

from tests.applications.conftest import (  # noqa: F401 - fixtures pytest finds by name
    certificate_program,
    fixed_program,
    make_application,
    open_call,
    roles,
)
