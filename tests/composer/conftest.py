"""Composer fixtures: the topic fixtures and the people tests' image helpers."""

from tests.people.conftest import upload_form  # noqa: F401 - shared fixture
from tests.topics.conftest import (  # noqa: F401 - fixtures shared with the topic tests
    _fast_password_hashing,
    build,
    category,
    post_form,
    signed_in,
)
