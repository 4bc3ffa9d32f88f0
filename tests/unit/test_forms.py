"""forum/forms.py: which status a form shown again after a service's refusal answers."""

from __future__ import annotations

import pytest

from forum.errors import Conflict, DomainError, Invalid, NotAllowed, NotFound, TooMany
from forum.forms import refusal_status


@pytest.mark.parametrize(("error", "status"), [
    (Invalid("Too long.", field="name"), 422),
    (Conflict("That slug is taken.", field="slug"), 422),
    (DomainError("Something about the input."), 422),
    (NotAllowed("You are suspended."), 403),
    (NotFound("That category is gone."), 404),
    (TooMany("Slow down."), 429),
])
def test_input_to_fix_is_422_and_other_refusals_keep_their_status(error, status):
    assert refusal_status(error) == status


def test_a_view_may_answer_one_kind_of_refusal_its_own_way():
    overrides = {Invalid: 401}
    assert refusal_status(Invalid("Wrong name or password."), overrides) == 401
    assert refusal_status(NotAllowed("Suspended."), overrides) == 403
    assert refusal_status(Conflict("Taken."), overrides) == 422


def test_an_override_covers_the_kinds_below_it():
    assert refusal_status(NotFound("Gone."), {DomainError: 400}) == 400
