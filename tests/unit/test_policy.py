"""The policy table: every action (forum's and ideas'), for every kind of actor, across
two companies, with the reason each refusal gives."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask import Flask
from flask_login import AnonymousUserMixin

from forum import config, create_app, policy
from forum.accounts.models import Identity, User
from forum.companies.models import Company, CompanyGuest, CompanyRequest, Membership
from forum.database import utcnow
from forum.errors import NotAllowed
from forum.moderation.models import Appeal, CompanyBan, Review
from forum.policy import Action
from forum.threads.models import Post, Thread
from ideas.models import DEFAULT_CATEGORIES, Idea, IdeaStatus, Status
from ideas.policy import IdeaAction
from tests.conftest import PLUGINS

HOME = Company(id=1, slug="home", name="Home")
OTHER = Company(id=2, slug="other", name="Other")
# HOME's space made private: its staff, its guests and site admins see it.
PRIVATE = Company(id=1, slug="home", name="Home", is_private=True)
SUSPENDED_UNTIL = utcnow() + timedelta(days=3)
SUSPENDED = f"You are suspended until {policy.day(SUSPENDED_UNTIL)}."


@pytest.fixture(autouse=True, scope="module")
def app() -> Iterator[Flask]:
    """The rules are the app's: ask them inside an app built as wsgi.py builds it."""
    built = create_app(config.TestConfig("sqlite://"), plugins=PLUGINS)
    with built.app_context():
        yield built


def person(user_id: int, *, admin: bool = False, roles: dict[int, str] | None = None,
           suspended: bool = False, guest_at: tuple[int, ...] = ()) -> User:
    user = User(id=user_id, username=f"u{user_id}", is_site_admin=admin, suspension_reason="",
                password_hash="a hash")
    user.memberships = [Membership(company_id=company_id, role=role)
                        for company_id, role in (roles or {}).items()]
    user.guest_passes = [CompanyGuest(company_id=company_id, user_id=user_id)
                         for company_id in guest_at]
    user.suspended_until = SUSPENDED_UNTIL if suspended else None
    return user


ACTORS = {
    "visitor": AnonymousUserMixin(),
    "customer": person(10),
    "suspended": person(20, suspended=True),
    "team": person(11, roles={1: "team"}),
    "moderator": person(12, roles={1: "moderator"}),
    "owner": person(13, roles={1: "owner"}),
    "owner_elsewhere": person(14, roles={2: "owner"}),
    "team_elsewhere": person(15, roles={2: "team"}),
    "moderator_elsewhere": person(22, roles={2: "moderator"}),
    "suspended_owner": person(16, roles={1: "owner"}, suspended=True),
    "admin": person(17, admin=True),
    "suspended_admin": person(18, admin=True, suspended=True),
    "guest": person(23, guest_at=(1,)),
    "guest_elsewhere": person(24, guest_at=(2,)),
}
CUSTOMER = ACTORS["customer"]
ADMIN = ACTORS["admin"]
SUSPENDED_ACTORS = {"suspended", "suspended_owner", "suspended_admin"}


def thread(kind: str = "question", *, locked: bool = False, hidden: bool = False,
           author: User = CUSTOMER, replies: int = 0, company: Company = HOME) -> Thread:
    made = Thread(id=1, company=company, company_id=company.id, kind=kind,
                  author_id=author.id, state="locked" if locked else "open",
                  reply_count=replies)
    made.hidden_at = utcnow() if hidden else None
    return made


def post(of: Thread | None = None, *, author: User = CUSTOMER, hidden: bool = False,
         number: int = 2) -> Post:
    made = Post(id=1, thread=of or thread(), author_id=author.id, number=number)
    made.hidden_at = utcnow() if hidden else None
    return made


def review(*, closed: bool = False, company: Company = HOME) -> Review:
    made = Review(id=1, company=company, company_id=company.id, post_id=1)
    made.closed_at = utcnow() if closed else None
    return made


def appeal(*, hidden_by: User | None = None, decided: bool = False,
           company: Company = HOME) -> Appeal:
    """An appeal against a hide by `hidden_by` (by default someone in none of the tables)."""
    made = Appeal(id=1, company=company, company_id=company.id, post_id=1,
                  hidden_by_id=hidden_by.id if hidden_by else 99)
    made.decided_at = utcnow() if decided else None
    return made


def awaiting(category: str) -> Post:
    """A post hidden with no moderator yet: by the flag threshold, or held back."""
    made = post(hidden=True)
    made.hidden_by_id, made.hidden_category = None, category
    return made


def moderated(*, by_author: bool = False) -> Post:
    """A post hidden by a moderator, or removed by its own author."""
    made = post(hidden=True)
    made.hidden_by_id = CUSTOMER.id if by_author else ACTORS["moderator"].id
    return made


def idea(*, status: str = "open", merged: bool = False, hidden: bool = False,
         company: Company = HOME, custom: IdeaStatus | None = None) -> Idea:
    """An idea with a built-in status, or with one of its company's own (`custom`)."""
    category = custom.category if custom else DEFAULT_CATEGORIES[Status(status)].value
    made = Idea(id=1, thread=thread("idea", hidden=hidden, company=company), company=company,
                company_id=company.id, status=custom.key if custom else status,
                status_category=category, merged_into_id=2 if merged else None)
    made.status_row = custom
    return made


def own_status(label: str, category: str) -> IdeaStatus:
    return IdeaStatus(id=9, company_id=HOME.id, key=label.lower().replace(" ", "_"),
                      label=label, category=category, position=9)


STAFF = {"team", "moderator", "owner", "admin"}
MODS = {"moderator", "owner", "admin"}
ACTIVE = set(ACTORS) - {"visitor"} - SUSPENDED_ACTORS
EVERYONE = set(ACTORS)
SAME = "the same reason"  # what a visitor is told, when it is the reason everyone gets

# action -> (subject, the actors allowed, the reason the others are given, a visitor's
# reason). Suspended actors who would otherwise be allowed are told until when.
TABLE: dict[str, tuple[object, set[str], str, str]] = {
    Action.SIGN_IN: (CUSTOMER, EVERYONE, "", ""),
    Action.VIEW_ADMIN: (None, {"admin"}, "Only site admins see this.", SAME),
    Action.CREATE_COMPANY: (None, {"admin"}, "Only site admins open companies.", SAME),
    Action.REQUEST_COMPANY: (None, ACTIVE, "", "Sign in to ask for your company's space."),
    Action.DECIDE_COMPANY_REQUEST: (CompanyRequest(id=1), {"admin"},
                                    "Only site admins decide requests for a company's space.",
                                    SAME),
    Action.EDIT_COMPANY: (HOME, {"owner", "admin"},
                          "Only the company's owners change its settings.", SAME),
    Action.MANAGE_STAFF: (HOME, {"owner", "admin"},
                          "Only the company's owners manage its staff.", SAME),
    Action.VIEW_MANAGE: (HOME, STAFF, "Only the company's staff manage it.", SAME),
    Action.VIEW_COMPANY: (HOME, EVERYONE, "", ""),
    Action.MANAGE_GUESTS: (HOME, {"owner", "admin"},
                           "Only the company's owners decide who sees its private space.",
                           SAME),
    Action.SUSPEND_USER: (CUSTOMER, {"admin"}, "Only site admins suspend accounts.", SAME),
    Action.EDIT_PROFILE: (CUSTOMER, {"customer"}, "You can only edit your own profile.",
                          "Sign in to edit your profile."),
    Action.UNLINK_IDENTITY: (Identity(id=1, user_id=CUSTOMER.id), {"customer"},
                             "You can only unlink your own sign-ins.",
                             "Sign in to manage how you sign in."),
    Action.MANAGE_CATEGORIES: (HOME, MODS,
                               "Only the company's moderators manage its categories.", SAME),
    Action.START_THREAD: (HOME, ACTIVE, "", "Sign in to start a thread."),
    Action.VIEW_THREAD: (thread(), EVERYONE, "", ""),
    Action.REPLY: (thread(), ACTIVE, "", "Sign in to reply."),
    Action.ANNOUNCE: (thread(), STAFF, "Only the company's staff post announcements.", SAME),
    Action.POST_OFFICIAL: (HOME, STAFF, "Only the company's staff post as the company.", SAME),
    Action.ACCEPT_ANSWER: (thread("question"), STAFF, "Only the company's staff mark answers.",
                           SAME),
    Action.PIN_THREAD: (thread(), STAFF, "Only the company's staff pin threads.", SAME),
    Action.LOCK_THREAD: (thread(), STAFF, "Only the company's staff lock threads.", SAME),
    Action.MOVE_THREAD: (thread("discussion"), STAFF, "Only the company's staff move threads.",
                         SAME),
    Action.EDIT_POST: (post(), {"customer"} | MODS, "You can only edit your own posts.",
                       "Sign in to edit posts."),
    Action.DELETE_POST: (post(), {"customer"}, "You can only remove your own posts; "
                         "moderators hide others' posts with a reason instead.",
                         "Sign in to remove posts."),
    Action.VIEW_REVISIONS: (post(), {"customer"} | STAFF,
                            "Only the author and the company's staff see earlier versions.",
                            "Sign in to see earlier versions."),
    Action.BYPASS_POSTING_LIMITS: (HOME, STAFF, "Posting limits apply to you.", SAME),
    Action.FOLLOW: (thread(), ACTIVE, "", "Sign in to follow what happens here."),
    Action.FLAG_POST: (post(), ACTIVE - {"customer"},
                       "You cannot flag your own post: edit or remove it instead.",
                       "Sign in to flag posts."),
    Action.MODERATE: (HOME, MODS, "Only the company's moderators review flags.", SAME),
    Action.REVIEW_FLAGS: (review(), MODS, "Only the company's moderators review flags.", SAME),
    Action.HIDE_POST: (post(), MODS, "Only the company's moderators hide posts.", SAME),
    Action.RESTORE_POST: (moderated(), MODS, "Only the company's moderators restore posts.",
                          SAME),
    Action.SEE_HIDDEN_POST: (moderated(), {"customer"} | MODS,
                             "Only its author and the company's moderators see a removed "
                             "post.", "Sign in to see why this post was removed."),
    Action.APPEAL: (moderated(), {"customer"}, "Only its author appeals a removal.",
                    "Sign in to appeal."),
    Action.DECIDE_APPEAL: (appeal(), MODS, "Only the company's moderators decide appeals.",
                           SAME),
    Action.ESCALATE: (review(), MODS, "Only the company's moderators escalate flagged posts.",
                      SAME),
    Action.REDACT_POST: (post(), MODS, "Only the company's moderators edit personal "
                         "information out of posts.", SAME),
    # Not even the author (the post's author is the customer) reads what was edited out.
    Action.VIEW_REDACTED: (post(), MODS, "Only the company's moderators see what was edited "
                           "out of a post.", "Sign in to see what was edited out."),
    Action.BAN_USER: (policy.Standing(HOME, CUSTOMER), MODS,
                      "Only the company's moderators ban people from posting.", SAME),
    Action.LIFT_BAN: (CompanyBan(id=1, company=HOME, company_id=HOME.id, user_id=CUSTOMER.id),
                      MODS, "Only the company's moderators lift bans.", SAME),
    Action.MANAGE_WATCHED_WORDS: (HOME, MODS,
                                  "Only the company's moderators manage its watched words.",
                                  SAME),
    Action.EXPORT_OWN_DATA: (CUSTOMER, {"customer"}, "You can only download your own data.",
                             "Sign in to download your data."),
    Action.DELETE_ACCOUNT: (policy.Departure(CUSTOMER), {"customer"},
                            "You can only delete your own account.",
                            "Sign in to delete your account."),
    Action.EXPORT_COMPANY: (HOME, {"owner", "admin"},
                            "Only the company's owners export its data.", SAME),
    Action.MANAGE_API_TOKENS: (HOME, {"owner", "admin"},
                               "Only the company's owners manage its API tokens.", SAME),
    Action.MANAGE_WEBHOOKS: (HOME, {"owner", "admin"},
                             "Only the company's owners manage its webhooks.", SAME),
    IdeaAction.PROPOSE: (HOME, ACTIVE, "", "Sign in to propose an idea."),
    IdeaAction.VOTE: (idea(), ACTIVE, "", "Sign in to vote."),
    IdeaAction.RETRACT_VOTE: (idea(), ACTIVE, "", "Sign in to change your vote."),
    IdeaAction.RECORD_VOTE: (idea(), {"team", "owner", "admin"},
                             "Only the company's product team records votes for customers.",
                             SAME),
    IdeaAction.CHANGE_STATUS: (idea(), STAFF, "Only the company's staff change an idea's status.",
                               SAME),
    IdeaAction.MERGE: (idea(), STAFF, "Only the company's staff merge ideas.", SAME),
    IdeaAction.UNMERGE: (idea(merged=True), STAFF, "Only the company's staff undo a merge.",
                         SAME),
    IdeaAction.TAG: (idea(), STAFF, "Only the company's staff tag ideas.", SAME),
    IdeaAction.MANAGE_TAGS: (HOME, STAFF, "Only the company's staff manage its tags.", SAME),
    IdeaAction.TRIAGE: (HOME, {"team", "owner", "admin"},
                        "Only the company's product team triages its ideas.", SAME),
    IdeaAction.PUBLISH_CHANGELOG: (HOME, {"team", "owner", "admin"},
                                   "Only the company's product team publishes its changelog.",
                                   SAME),
    IdeaAction.PRIORITISE: (HOME, {"team", "owner", "admin"},
                            "Only the company's product team sets its priorities.", SAME),
    IdeaAction.MANAGE_STATUSES: (HOME, {"team", "owner", "admin"},
                                 "Only the company's product team manages its statuses.", SAME),
    IdeaAction.IMPORT_IDEAS: (HOME, {"owner", "admin"},
                              "Only the company's owners import ideas.", SAME),
}

ELSEWHERE_MODS = {"admin", "owner_elsewhere", "moderator_elsewhere"}
LOCKED = "This thread is locked: it takes no new replies."
OPENING_STAYS = ("Others have replied to this thread, so its opening post stays. "
                 "Edit it instead, or ask a moderator.")
SUSPENDED_ACCOUNT = person(21, suspended=True)


def without_password(user_id: int, identities: int) -> User:
    """An account made by signing in with a provider, with that many provider accounts."""
    user = person(user_id)
    user.password_hash = ""
    user.identities = [Identity(id=user_id * 10 + n, user_id=user_id)
                       for n in range(identities)]
    return user
# Who sees a private space: its staff, its guests and site admins (suspended or not:
# reading is not posting); and of them, who may still act there.
INSIDE = {"team", "moderator", "owner", "suspended_owner", "admin", "suspended_admin", "guest"}
INSIDE_ACTIVE = INSIDE - SUSPENDED_ACTORS
NOT_THERE = "There is no company at that address."

# The same actions where the state of the subject changes the answer: (action, subject,
# the actors allowed, the reason given to those the table allows but this state refuses).
SPECIAL_CASES = [
    (Action.SIGN_IN, SUSPENDED_ACCOUNT, set(), "Your account is suspended until"),
    # A private space, to everyone else, is not there at all.
    (Action.VIEW_COMPANY, PRIVATE, INSIDE, NOT_THERE),
    (Action.VIEW_THREAD, thread(company=PRIVATE), INSIDE, NOT_THERE),
    (Action.FOLLOW, PRIVATE, INSIDE_ACTIVE, NOT_THERE),
    (Action.FOLLOW, thread(company=PRIVATE), INSIDE_ACTIVE, NOT_THERE),
    (Action.START_THREAD, PRIVATE, INSIDE_ACTIVE, NOT_THERE),
    (Action.REPLY, thread(company=PRIVATE), INSIDE_ACTIVE, NOT_THERE),
    (Action.FLAG_POST, post(thread(company=PRIVATE)), INSIDE_ACTIVE, NOT_THERE),
    (Action.EDIT_POST, post(thread(company=PRIVATE)), MODS, NOT_THERE),
    (IdeaAction.PROPOSE, PRIVATE, INSIDE_ACTIVE, NOT_THERE),
    (IdeaAction.VOTE, idea(company=PRIVATE), INSIDE_ACTIVE, NOT_THERE),
    # A private space's owner imports into it as into a public one.
    (IdeaAction.IMPORT_IDEAS, PRIVATE, {"owner", "admin"}, NOT_THERE),
    (Action.MANAGE_GUESTS, OTHER, {"admin", "owner_elsewhere"},
     "Only the company's owners decide who sees its private space."),
    # A removed thread: its moderators, and its author (who reads why, and may appeal).
    (Action.FOLLOW, thread(hidden=True), MODS | {"customer"},
     "That thread does not exist, or it was removed."),
    (Action.VIEW_THREAD, thread(hidden=True, author=ACTORS["team"]), MODS | {"team"},
     "That thread does not exist, or it was removed."),
    (Action.FOLLOW, OTHER, ACTIVE, ""),
    (Action.VIEW_THREAD, thread(hidden=True), MODS | {"customer"},
     "That thread does not exist, or it was removed."),
    (Action.REPLY, thread(locked=True), set(), LOCKED),
    (Action.REPLY, thread(hidden=True), set(), "This thread was removed; it takes no replies."),
    (Action.ACCEPT_ANSWER, thread("discussion"), set(), "Only questions have an accepted answer."),
    (Action.MOVE_THREAD, thread("idea"), set(), "Only forum threads move between categories."),
    (Action.ANNOUNCE, thread(locked=True), STAFF, "Only the company's staff post announcements."),
    (Action.EDIT_POST, post(thread(locked=True)), MODS,
     "This thread is locked: its posts can no longer be edited."),
    (Action.EDIT_POST, post(hidden=True), set(), "This post was removed."),
    (Action.DELETE_POST, post(hidden=True), set(), "This post was already removed."),
    (Action.DELETE_POST, post(thread(replies=1), number=1), set(), OPENING_STAYS),
    (Action.APPEAL, post(), set(),
     "This post is not hidden by a moderator: there is nothing to appeal."),
    (Action.APPEAL, moderated(by_author=True), set(),
     "This post is not hidden by a moderator: there is nothing to appeal."),
    # Hidden by the flag threshold or a watched word: a moderator decides first.
    (Action.APPEAL, awaiting("pending_review"), set(),
     "A moderator has yet to review this post; you can appeal once they decide."),
    (Action.APPEAL, awaiting("held"), set(),
     "A moderator has yet to review this post; you can appeal once they decide."),
    # Whoever hid the post never decides its appeal, not even an owner or a site admin.
    (Action.DECIDE_APPEAL, appeal(hidden_by=ACTORS["moderator"]), {"owner", "admin"},
     "You hid this post, so another moderator decides its appeal."),
    (Action.DECIDE_APPEAL, appeal(hidden_by=ACTORS["admin"]), {"moderator", "owner"},
     "You hid this post, so another moderator decides its appeal."),
    (Action.DECIDE_APPEAL, appeal(decided=True), set(), "This appeal was already decided."),
    (Action.DECIDE_APPEAL, appeal(company=OTHER), ELSEWHERE_MODS,
     "Only the company's moderators decide appeals."),
    (Action.FLAG_POST, post(hidden=True), set(), "This post was removed."),
    (Action.FLAG_POST, post(thread(hidden=True)), set(), "This post was removed."),
    (Action.HIDE_POST, post(hidden=True), set(), "This post was already removed."),
    (Action.RESTORE_POST, post(), set(), "This post is not hidden: there is nothing to restore."),
    (Action.RESTORE_POST, moderated(by_author=True), set(),
     "Its author removed this post; only a moderator's removal is undone."),
    (Action.REVIEW_FLAGS, review(closed=True), set(), "This item was already reviewed."),
    # Another company's items: its moderators and owners, whatever their role at home.
    (Action.MODERATE, OTHER, ELSEWHERE_MODS,
     "Only the company's moderators review flags."),
    (Action.REVIEW_FLAGS, review(company=OTHER), ELSEWHERE_MODS,
     "Only the company's moderators review flags."),
    (Action.HIDE_POST, post(thread(company=OTHER)), ELSEWHERE_MODS,
     "Only the company's moderators hide posts."),
    (Action.ESCALATE, review(closed=True), set(), "This item was already reviewed."),
    (Action.ESCALATE, review(company=OTHER), ELSEWHERE_MODS,
     "Only the company's moderators escalate flagged posts."),
    (Action.REDACT_POST, post(hidden=True), set(),
     "This post was removed: restore it before editing it."),
    (Action.REDACT_POST, post(thread(company=OTHER)), ELSEWHERE_MODS,
     "Only the company's moderators edit personal information out of posts."),
    (Action.VIEW_REDACTED, post(thread(company=OTHER)), ELSEWHERE_MODS,
     "Only the company's moderators see what was edited out of a post."),
    (Action.BAN_USER, policy.Standing(OTHER, CUSTOMER), ELSEWHERE_MODS,
     "Only the company's moderators ban people from posting."),
    (Action.BAN_USER, policy.Standing(HOME, ACTORS["team"]), set(), "u11 is on Home's staff"),
    (Action.BAN_USER, policy.Standing(HOME, person(19, admin=True)), set(),
     "Site admins cannot be banned from a company."),
    (Action.LIFT_BAN, CompanyBan(id=2, company=OTHER, company_id=OTHER.id, user_id=10),
     ELSEWHERE_MODS, "Only the company's moderators lift bans."),
    (Action.MANAGE_WATCHED_WORDS, OTHER, ELSEWHERE_MODS,
     "Only the company's moderators manage its watched words."),
    # A company keeps an owner (the service finds the companies they alone own).
    (Action.DELETE_ACCOUNT, policy.Departure(CUSTOMER, ("Home",)), set(),
     "You are the only owner of Home: make someone else an owner first"),
    (Action.DELETE_ACCOUNT, policy.Departure(ACTORS["owner"]), {"owner"}, ""),
    (Action.EXPORT_OWN_DATA, ACTORS["guest"], {"guest"}, ""),
    (Action.EXPORT_COMPANY, OTHER, {"admin", "owner_elsewhere"},
     "Only the company's owners export its data."),
    (Action.MANAGE_API_TOKENS, OTHER, {"admin", "owner_elsewhere"},
     "Only the company's owners manage its API tokens."),
    (Action.MANAGE_WEBHOOKS, OTHER, {"admin", "owner_elsewhere"},
     "Only the company's owners manage its webhooks."),
    (IdeaAction.VOTE, idea(status="shipped"), set(), "Voting is closed: this idea is shipped."),
    (IdeaAction.VOTE, idea(status="declined"), set(), "Voting is closed: this idea is declined."),
    (IdeaAction.VOTE, idea(merged=True), set(),
     "This idea was merged into another one: vote there instead."),
    (IdeaAction.VOTE, idea(hidden=True), set(), "This idea was removed."),
    (IdeaAction.RECORD_VOTE, idea(status="shipped"), set(),
     "Voting is closed: this idea is shipped."),
    (IdeaAction.RECORD_VOTE, idea(merged=True), set(),
     "This idea was merged into another one: vote there instead."),
    (IdeaAction.RECORD_VOTE, idea(hidden=True), set(), "This idea was removed."),
    (IdeaAction.RETRACT_VOTE, idea(status="shipped"), set(),
     "Voting is closed: this idea is shipped."),
    (IdeaAction.RETRACT_VOTE, idea(merged=True), set(),
     "This idea was merged into another one: vote there instead."),
    # A company's own statuses close voting by their category, and say so by their name.
    (IdeaAction.VOTE, idea(custom=own_status("Live in beta", "complete")), set(),
     "Voting is closed: this idea is live in beta."),
    (IdeaAction.VOTE, idea(custom=own_status("Won't do", "closed")), set(),
     "Voting is closed: this idea is won't do."),
    (IdeaAction.VOTE, idea(status="shipped", custom=own_status("Released", "complete")), set(),
     "Voting is closed: this idea is released."),
    (IdeaAction.VOTE, idea(custom=own_status("Next up", "active")), ACTIVE, ""),
    (IdeaAction.RETRACT_VOTE, idea(custom=own_status("Next up", "active")), ACTIVE, ""),
]


def expected_reason(actor: str, reason: str, visitor_reason: str) -> str:
    if actor == "visitor":
        return reason if visitor_reason == SAME else visitor_reason
    return SUSPENDED if actor in SUSPENDED_ACTORS else reason


def test_table_covers_every_action() -> None:
    assert sorted(TABLE) == policy.actions()


def test_actions_are_constants_that_fail_when_misspelt() -> None:
    with pytest.raises(AttributeError):
        _ = Action.REPLIE  # type: ignore[attr-defined]
    assert {*Action, *IdeaAction} == set(TABLE)


@pytest.mark.parametrize("action", sorted(TABLE))
@pytest.mark.parametrize("actor", sorted(ACTORS))
def test_policy_table(actor: str, action: str) -> None:
    subject, allowed, reason, visitor_reason = TABLE[action]
    decision = policy.can(ACTORS[actor], action, subject)
    assert bool(decision) is (actor in allowed)
    if actor in allowed:
        assert decision.reason == ""
    else:
        assert decision.reason == expected_reason(actor, reason, visitor_reason)
        assert decision.sign_in is (actor == "visitor")


@pytest.mark.parametrize(("action", "subject", "allowed", "reason"), SPECIAL_CASES)
@pytest.mark.parametrize("actor", sorted(ACTORS))
def test_policy_special_cases(actor: str, action: str, subject: object, allowed: set,
                              reason: str) -> None:
    decision = policy.can(ACTORS[actor], action, subject)
    assert bool(decision) is (actor in allowed)
    if actor in TABLE[action][1] and actor not in allowed:
        assert decision.reason.startswith(reason)
    if actor not in allowed:
        assert decision.reason


@pytest.mark.parametrize("action", [Action.HIDE_POST, Action.RESTORE_POST,
                                    Action.SEE_HIDDEN_POST])
@pytest.mark.parametrize("actor", ["team", "moderator", "owner"])
def test_moderators_cannot_act_on_another_companys_posts(actor: str, action: str) -> None:
    hidden = post(thread(company=OTHER), hidden=True, author=ACTORS["moderator_elsewhere"])
    shown = post(thread(company=OTHER), author=ACTORS["moderator_elsewhere"])
    assert not policy.can(ACTORS[actor], action, shown if action == Action.HIDE_POST
                          else hidden)
    assert not policy.can(ACTORS[actor], Action.REVIEW_FLAGS, review(company=OTHER))


@pytest.mark.parametrize("action", [Action.ACCEPT_ANSWER, Action.PIN_THREAD,
                                    Action.LOCK_THREAD, Action.MOVE_THREAD, Action.ANNOUNCE])
@pytest.mark.parametrize("actor", ["team", "moderator", "owner"])
def test_staff_cannot_act_on_another_companys_threads(actor: str, action: str) -> None:
    assert not policy.can(ACTORS[actor], action, thread("question", company=OTHER))


@pytest.mark.parametrize("action", [IdeaAction.CHANGE_STATUS, IdeaAction.MERGE,
                                    IdeaAction.UNMERGE, IdeaAction.TAG,
                                    IdeaAction.RECORD_VOTE])
@pytest.mark.parametrize("actor", ["team", "moderator", "owner"])
def test_staff_cannot_act_on_another_companys_ideas(actor: str, action: str) -> None:
    assert not policy.can(ACTORS[actor], action, idea(company=OTHER))


@pytest.mark.parametrize("action", [Action.EDIT_COMPANY, Action.MANAGE_STAFF,
                                    Action.VIEW_MANAGE, Action.MANAGE_CATEGORIES,
                                    Action.POST_OFFICIAL, Action.BYPASS_POSTING_LIMITS,
                                    Action.MODERATE, Action.MANAGE_WEBHOOKS,
                                    IdeaAction.MANAGE_TAGS, IdeaAction.MANAGE_STATUSES,
                                    IdeaAction.IMPORT_IDEAS])
@pytest.mark.parametrize("actor", ["team", "moderator", "owner"])
def test_staff_have_no_power_at_another_company(actor: str, action: str) -> None:
    assert not policy.can(ACTORS[actor], action, OTHER)


def test_admins_cannot_suspend_themselves_or_other_admins() -> None:
    assert policy.can(ADMIN, Action.SUSPEND_USER, ADMIN).reason == "You cannot suspend yourself."
    assert "command line" in policy.can(ADMIN, Action.SUSPEND_USER,
                                        person(19, admin=True)).reason


def test_site_admins_do_not_delete_their_account_from_the_web() -> None:
    """Their rights were granted on the server; they are taken away there first."""
    decision = policy.can(ADMIN, Action.DELETE_ACCOUNT, policy.Departure(ADMIN))
    assert decision.reason.startswith("Site admins cannot delete their account here")


def test_require_raises_not_allowed_with_the_reason() -> None:
    with pytest.raises(NotAllowed) as refused:
        policy.require(CUSTOMER, Action.CREATE_COMPANY)
    assert refused.value.message == "Only site admins open companies."
    with pytest.raises(NotAllowed) as suspended:
        policy.require(ACTORS["suspended"], IdeaAction.VOTE, idea())
    assert suspended.value.message == SUSPENDED


def test_a_suspension_is_dated_like_people_write_it() -> None:
    now = utcnow()
    assert policy.day(now.replace(month=5, day=3)) == "3 May"
    assert policy.day(now.replace(year=now.year + 1, month=5, day=3)) == f"3 May {now.year + 1}"


def test_unknown_action_is_a_programming_error() -> None:
    with pytest.raises(LookupError):
        policy.can(ADMIN, "launch_rockets")


@pytest.mark.parametrize("actor", ["moderator", "owner", "admin"])
def test_nobody_bans_themselves(actor: str) -> None:
    decision = policy.can(ACTORS[actor], Action.BAN_USER, policy.Standing(HOME, ACTORS[actor]))
    assert not decision and decision.reason == "You cannot ban yourself."


def banned(company: Company = HOME, *, lifted: bool = False, ended: bool = False) -> User:
    """A customer banned from posting at `company` (in force, or lifted, or over)."""
    user = person(30)
    user.company_bans = [] if lifted else [CompanyBan(
        id=5, company_id=company.id, user_id=30, reason="abuse", note="Insults in #12",
        until=utcnow() + timedelta(days=-1 if ended else 7))]
    return user


BANNED_ACTIONS = [
    (Action.START_THREAD, HOME), (Action.REPLY, thread()), (Action.FLAG_POST, post()),
    (Action.EDIT_POST, post(author=person(30))), (IdeaAction.PROPOSE, HOME),
    (IdeaAction.VOTE, idea()),
]


@pytest.mark.parametrize(("action", "subject"), BANNED_ACTIONS)
def test_a_banned_customer_is_told_until_when_and_why(action: str, subject: object) -> None:
    until = policy.day(utcnow() + timedelta(days=7))
    decision = policy.can(banned(), action, subject)
    assert not decision and not decision.sign_in
    assert decision.reason == (f"You are banned from posting at Home until {until}: abuse "
                               "or harassment (Insults in #12).")
    assert policy.can(banned(OTHER), action, subject)  # a ban elsewhere changes nothing here
    assert policy.can(banned(lifted=True), action, subject)
    assert policy.can(banned(ended=True), action, subject)
    assert policy.can(banned(), Action.VIEW_THREAD, thread())  # they still read


def test_a_suspended_person_is_told_why_on_every_posting_action() -> None:
    user = person(31, suspended=True)
    user.suspension_reason = "Spam in five companies."
    for action, subject in BANNED_ACTIONS:
        assert policy.can(user, action, subject).reason == (
            f"You are suspended until {policy.day(SUSPENDED_UNTIL)}: Spam in five companies.")


def test_the_last_way_into_an_account_is_never_unlinked() -> None:
    """No password and one provider account: it stays. A second one, or a password, and
    either may go."""
    only = without_password(25, identities=1)
    refused = policy.can(only, Action.UNLINK_IDENTITY, only.identities[0])
    assert not refused and refused.reason.startswith("This is the only way into your account.")
    two = without_password(26, identities=2)
    assert policy.can(two, Action.UNLINK_IDENTITY, two.identities[0])
    assert policy.can(CUSTOMER, Action.UNLINK_IDENTITY, Identity(id=1, user_id=CUSTOMER.id))
