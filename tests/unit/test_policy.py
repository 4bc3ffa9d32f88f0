"""The policy table: every kind of actor against every action, across two companies."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask_login import AnonymousUserMixin

from forum import policy
from forum.accounts.models import User
from forum.companies.models import Company, Membership
from forum.database import utcnow
from forum.errors import NotAllowed

HOME = Company(id=1, slug="home", name="Home")
OTHER = Company(id=2, slug="other", name="Other")


def person(user_id: int, *, admin: bool = False, roles: dict[int, str] | None = None,
           suspended: bool = False) -> User:
    user = User(id=user_id, username=f"u{user_id}", is_site_admin=admin, session_generation=0)
    user.memberships = [Membership(company_id=company_id, role=role)
                        for company_id, role in (roles or {}).items()]
    user.suspended_until = utcnow() + timedelta(days=1) if suspended else None
    return user


ACTORS = {
    "visitor": AnonymousUserMixin(),
    "customer": person(10),
    "team": person(11, roles={1: "team"}),
    "moderator": person(12, roles={1: "moderator"}),
    "owner": person(13, roles={1: "owner"}),
    "owner_elsewhere": person(14, roles={2: "owner"}),
    "team_elsewhere": person(15, roles={2: "team"}),
    "suspended_owner": person(16, roles={1: "owner"}, suspended=True),
    "admin": person(17, admin=True),
    "suspended_admin": person(18, admin=True, suspended=True),
}
CUSTOMER = ACTORS["customer"]
ADMIN = ACTORS["admin"]

# action -> (target, the actors allowed). Everyone not listed is refused.
TABLE: dict[str, tuple[object, set[str]]] = {
    "view_admin": (None, {"admin"}),
    "create_company": (None, {"admin"}),
    "edit_company": (HOME, {"owner", "admin"}),
    "manage_staff": (HOME, {"owner", "admin"}),
    "view_manage": (HOME, {"team", "moderator", "owner", "admin"}),
    "suspend_user": (CUSTOMER, {"admin"}),
    "edit_profile": (CUSTOMER, {"customer"}),
}


def test_table_covers_every_action() -> None:
    assert sorted(TABLE) == policy.actions()


@pytest.mark.parametrize("action", sorted(TABLE))
@pytest.mark.parametrize("actor", sorted(ACTORS))
def test_policy_table(actor: str, action: str) -> None:
    target, allowed = TABLE[action]
    assert policy.can(ACTORS[actor], action, target) is (actor in allowed)


@pytest.mark.parametrize("action", ["edit_company", "manage_staff", "view_manage"])
@pytest.mark.parametrize("actor", ["team", "moderator", "owner"])
def test_staff_have_no_power_at_another_company(actor: str, action: str) -> None:
    assert not policy.can(ACTORS[actor], action, OTHER)


def test_admins_cannot_suspend_themselves_or_other_admins() -> None:
    assert not policy.can(ADMIN, "suspend_user", ADMIN)
    assert not policy.can(ADMIN, "suspend_user", person(19, admin=True))


def test_require_raises_not_allowed_with_a_message() -> None:
    with pytest.raises(NotAllowed, match="permission"):
        policy.require(CUSTOMER, "create_company")


def test_unknown_action_is_a_programming_error() -> None:
    with pytest.raises(LookupError):
        policy.can(ADMIN, "launch_rockets")
