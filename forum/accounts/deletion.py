"""A person deletes their account: the row is emptied and kept, so that what they wrote
keeps an author, shown as "deleted account".

Their votes stay counted, now anonymous: a vote was a real customer's wish and companies
planned with it, and a counter that drops when someone leaves would rewrite decisions
already made; with the name gone nothing ties it to the person. Their posts stay too,
unless they choose to erase them: then each post they may remove is hidden as they would
hide it themselves (reason "erased by author"); opening posts others replied to stay, as
the policy keeps them for one's own removals.
"""

from __future__ import annotations

from sqlalchemy import delete, func, select, update

from forum import policy
from forum.accounts.models import Identity, User, UserSession
from forum.accounts.passwords import verify_password
from forum.api.models import ApiToken
from forum.companies.models import Company, CompanyGuest, Membership, Role
from forum.database import utcnow, write_transaction
from forum.errors import Invalid
from forum.events import types as events
from forum.events.log import record
from forum.events.models import Event
from forum.extensions import db
from forum.mail.models import MailPreference, OutgoingMail
from forum.notifications.models import Notification, Subscription
from forum.threads.models import Post
from forum.threads.posting import remove_by_author

ERASED = "erased by author"


def departure(user: User) -> policy.Departure:
    """The person and the companies they alone own, for the policy to decide on."""
    owners = (select(Membership.company_id).where(Membership.role == Role.OWNER)
              .group_by(Membership.company_id).having(func.count() == 1).scalar_subquery())
    names = db.session.scalars(
        select(Company.name).join(Membership, Membership.company_id == Company.id).where(
            Membership.user_id == user.id, Membership.role == Role.OWNER,
            Company.id.in_(owners)).order_by(Company.name))
    return policy.Departure(user, tuple(names))


def delete_account(user: User, password: str, confirmation: str, *, erase: bool) -> int:
    """Empty the account, end its sessions, drop what only served it; erase its posts if
    asked. Returns how many posts were erased."""
    policy.require(user, policy.Action.DELETE_ACCOUNT, departure(user))
    # An account made by an identity provider has no password: the open session and the
    # typed username are what it can give.
    if user.has_password and not verify_password(user.password_hash, password):
        raise Invalid("Your password is not right.", field="password")
    if confirmation.strip().lower() != user.username.lower():
        raise Invalid("Type your username to confirm.", field="confirmation")
    with write_transaction():
        erased = _erase_posts(user) if erase else 0
        # Every way in goes with it: sessions, API tokens (personal, and the company tokens
        # that acted as them) and identity providers' accounts, which would sign in again.
        for model in (Subscription, Notification, OutgoingMail, MailPreference, UserSession,
                      ApiToken, Identity, Membership, CompanyGuest):
            db.session.execute(delete(model).where(model.user_id == user.id)
                               .execution_options(synchronize_session=False))
        # What the log recorded of their name and address goes too; the facts stay.
        db.session.execute(update(Event).where(
            Event.subject_type == User.__tablename__, Event.subject_id == user.id)
            .values(data={}))
        _empty(user)
        record(events.USER_DELETED, user, user, None, {"erased_posts": erased})
    return erased


def _erase_posts(user: User) -> int:
    """Hide each post the policy lets its author remove, newest first (so that a thread
    whose only replies were theirs loses its replies before its opening post)."""
    erased = 0
    for post_id in db.session.scalars(select(Post.id).where(
            Post.author_id == user.id, Post.hidden_at.is_(None)).order_by(Post.id.desc())).all():
        post = db.session.get_one(Post, post_id)
        if policy.can(user, policy.Action.DELETE_POST, post):
            remove_by_author(user, post, ERASED)
            erased += 1
    return erased


def _empty(user: User) -> None:
    user.username = f"deleted-{user.id}"  # no chosen username has a "-": never taken
    user.display_name = ""
    user.bio = ""
    user.email = user.pending_email = user.email_confirmed_at = None
    user.password_hash = ""  # no password opens it
    user.invited_at = user.suspended_until = None
    user.suspension_reason = ""
    user.deleted_at = utcnow()
