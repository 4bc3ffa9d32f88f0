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
from forum.threads.models import Post, Thread

HOME = Company(id=1, slug="home", name="Home")
OTHER = Company(id=2, slug="other", name="Other")


def person(user_id: int, *, admin: bool = False, roles: dict[int, str] | None = None,
           suspended: bool = False) -> User:
    user = User(id=user_id, username=f"u{user_id}", is_site_admin=admin)
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


def thread(kind: str = "question", *, locked: bool = False, hidden: bool = False,
           author: User = CUSTOMER) -> Thread:
    made = Thread(id=1, company=HOME, company_id=1, kind=kind, author_id=author.id,
                  state="locked" if locked else "open")
    made.hidden_at = utcnow() if hidden else None
    return made


def post(of: Thread | None = None, *, author: User = CUSTOMER, hidden: bool = False) -> Post:
    made = Post(id=1, thread=of or thread(), author_id=author.id, number=2)
    made.hidden_at = utcnow() if hidden else None
    return made


class FakeIdea:
    """The duck-typed shape policy asks of an idea (forum never imports ideas)."""

    def __init__(self, *, closed: bool = False, hidden: bool = False,
                 company: Company = HOME) -> None:
        self.company = company
        self.thread = thread("idea", hidden=hidden)
        self.is_closed = closed


STAFF = {"team", "moderator", "owner", "admin"}
MODS = {"moderator", "owner", "admin"}
ACTIVE = set(ACTORS) - {"visitor", "suspended_owner", "suspended_admin"}

# action -> (target, the actors allowed). Everyone not listed is refused.
TABLE: dict[str, tuple[object, set[str]]] = {
    "view_admin": (None, {"admin"}),
    "create_company": (None, {"admin"}),
    "edit_company": (HOME, {"owner", "admin"}),
    "manage_staff": (HOME, {"owner", "admin"}),
    "view_manage": (HOME, {"team", "moderator", "owner", "admin"}),
    "suspend_user": (CUSTOMER, {"admin"}),
    "edit_profile": (CUSTOMER, {"customer"}),
    "manage_categories": (HOME, MODS),
    "start_thread": (HOME, ACTIVE),
    "view_thread": (thread(), set(ACTORS)),
    "reply": (thread(), ACTIVE),
    "post_official": (HOME, STAFF),
    "accept_answer": (thread("question"), STAFF),
    "pin_thread": (thread(), STAFF),
    "lock_thread": (thread(), STAFF),
    "move_thread": (thread("discussion"), STAFF),
    "edit_post": (post(), {"customer"} | MODS),
    "delete_post": (post(), {"customer"} | MODS),
    "view_revisions": (post(), {"customer"} | STAFF),
    "bypass_posting_limits": (HOME, STAFF),
    "propose_idea": (HOME, ACTIVE),
    "vote": (FakeIdea(), ACTIVE),
    "change_status": (FakeIdea(), STAFF),
    "merge_idea": (FakeIdea(), STAFF),
    "tag_idea": (FakeIdea(), STAFF),
    "manage_tags": (HOME, STAFF),
}

# The same actions where the state of the thing changes the answer.
SPECIAL_CASES = [
    ("view_thread", thread(hidden=True), MODS),
    ("reply", thread(locked=True), set()),
    ("reply", thread(hidden=True), set()),
    ("accept_answer", thread("discussion"), set()),
    ("move_thread", thread("idea"), set()),
    ("edit_post", post(thread(locked=True)), MODS),
    ("edit_post", post(hidden=True), set()),
    ("delete_post", post(hidden=True), set()),
    ("vote", FakeIdea(closed=True), set()),
    ("vote", FakeIdea(hidden=True), set()),
]


def test_table_covers_every_action() -> None:
    assert sorted(TABLE) == policy.actions()


@pytest.mark.parametrize("action", sorted(TABLE))
@pytest.mark.parametrize("actor", sorted(ACTORS))
def test_policy_table(actor: str, action: str) -> None:
    target, allowed = TABLE[action]
    assert policy.can(ACTORS[actor], action, target) is (actor in allowed)


@pytest.mark.parametrize(("action", "target", "allowed"), SPECIAL_CASES)
@pytest.mark.parametrize("actor", sorted(ACTORS))
def test_policy_special_cases(actor: str, action: str, target: object, allowed: set) -> None:
    assert policy.can(ACTORS[actor], action, target) is (actor in allowed)


OTHER_THREAD = Thread(id=2, company=OTHER, company_id=2, kind="question", author_id=10,
                      state="open")


@pytest.mark.parametrize("action", ["accept_answer", "pin_thread", "lock_thread"])
@pytest.mark.parametrize("actor", ["team", "moderator", "owner"])
def test_staff_cannot_act_on_another_companys_threads(actor: str, action: str) -> None:
    assert not policy.can(ACTORS[actor], action, OTHER_THREAD)


@pytest.mark.parametrize("action", ["change_status", "merge_idea", "tag_idea"])
@pytest.mark.parametrize("actor", ["team", "moderator", "owner"])
def test_staff_cannot_act_on_another_companys_ideas(actor: str, action: str) -> None:
    assert not policy.can(ACTORS[actor], action, FakeIdea(company=OTHER))


@pytest.mark.parametrize("action", ["edit_company", "manage_staff", "view_manage",
                                    "manage_categories", "post_official",
                                    "bypass_posting_limits", "manage_tags"])
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
