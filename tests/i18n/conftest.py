from tests.applications.conftest import (  # noqa: F401  (fixtures, used by name)
    certificate_program,
    fixed_program,
    make_application,
    open_call,
    roles,
)
