"""The User model."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.database import utcnow
from forum.extensions import db

if TYPE_CHECKING:
    from forum.companies.models import CompanyGuest, Membership
    from forum.moderation.models import CompanyBan

USERNAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_]{2,29}$"
# The hash of an account without a password (invited and not claimed, or made by signing
# in with an identity provider): no password matches it.
NO_PASSWORD = ""


class User(UserMixin, db.Model):
    """One person's account, shared across every company on the platform."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(30))
    # The confirmed address, unique across accounts; mail goes only there. An address
    # not yet confirmed waits in pending_email, which any number of accounts may name
    # (so nobody can hold someone else's address by signing up with it first).
    email: Mapped[str | None] = mapped_column(String(254), default=None)
    email_confirmed_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    pending_email: Mapped[str | None] = mapped_column(String(254), default=None)
    # A mail server refused the address for good: no more mail until it changes.
    mail_bounced_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    digest_hour: Mapped[int] = mapped_column(Integer, default=8)  # in the person's timezone
    timezone: Mapped[str] = mapped_column(String(60), default="UTC")
    last_digest_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    password_hash: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(60), default="")
    bio: Mapped[str] = mapped_column(Text, default="")
    is_site_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    suspended_until: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    suspension_reason: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # Made for someone a company named by address (forum.accounts.invitations): until they
    # claim it, it has no password and its address waits in pending_email.
    invited_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    # The person deleted their account (forum.accounts.deletion): the row stays, emptied,
    # so that what they wrote and their votes still have an author, shown as
    # "deleted account".
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)

    # Loaded when asked for: policy asks about the signed-in user, not about every author
    # a page shows, so loading them with each user would cost a query per list of users.
    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    # Bans no moderator lifted, expired ones too (ban_at reads the date): loaded once, the
    # first time the policy asks about posting at a company, however many posts a page shows.
    company_bans: Mapped[list[CompanyBan]] = relationship(
        primaryjoin="and_(User.id == CompanyBan.user_id, CompanyBan.lifted_at.is_(None))",
        viewonly=True)

    # The private spaces this person was invited into: loaded once, the first time the
    # policy asks whether they may see a private company.
    guest_passes: Mapped[list[CompanyGuest]] = relationship(
        primaryjoin="User.id == CompanyGuest.user_id", viewonly=True)

    # The identity providers' accounts that sign in to this one (forum.accounts.identities):
    # loaded when the policy asks whether unlinking one would leave no way in.
    identities: Mapped[list[Identity]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="Identity.id")

    # The server-side session this object was signed in or loaded through (not a column):
    # Flask-Login stores get_id() in the session and the remember-me cookie, so both name
    # a session that signing out can end.
    session_key = None

    def get_id(self) -> str:
        assert self.session_key, "sign in through forum.accounts.sessions.start_session"
        return f"{self.id}:{self.session_key}"

    @property
    def name(self) -> str:
        """What to call this person on a page."""
        if self.deleted_at is not None:
            return "deleted account"
        return self.display_name or self.username

    @property
    def mail_address(self) -> str | None:
        """Where mail may go: a confirmed address that has not bounced."""
        return self.email if self.email and self.mail_bounced_at is None else None

    @property
    def is_unclaimed(self) -> bool:
        """Invited and not claimed yet: no password opens it."""
        return self.invited_at is not None and not self.password_hash

    @property
    def has_password(self) -> bool:
        """False for an account made by signing in with an identity provider (or an
        invited one not claimed yet)."""
        return self.password_hash != NO_PASSWORD

    @property
    def is_suspended(self) -> bool:
        return self.suspended_until is not None and self.suspended_until > utcnow()

    def role_at(self, company_id: int) -> str | None:
        """This user's staff role at a company, or None for a customer."""
        for membership in self.memberships:
            if membership.company_id == company_id:
                return membership.role
        return None

    def is_guest_at(self, company_id: int) -> bool:
        """Was this user invited into the company's private space?"""
        return any(guest.company_id == company_id for guest in self.guest_passes)

    def ban_at(self, company_id: int) -> CompanyBan | None:
        """The ban that keeps this user from posting at a company now, if any."""
        now = utcnow()
        current = [ban for ban in self.company_bans
                   if ban.company_id == company_id and ban.until > now]
        return max(current, key=lambda ban: ban.until, default=None)

    def __repr__(self) -> str:
        return f"<User {self.username}>"


class UserSession(db.Model):
    """One signed-in browser: signing out, a password change or a suspension ends it."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # SHA-256 of the key the cookies carry: a copy of this table opens no account.
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    ip_address: Mapped[str] = mapped_column(String(45), default="")
    remember: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)

    def __repr__(self) -> str:
        return f"<UserSession {self.id} of user {self.user_id}>"


class Identity(db.Model):
    """An account at an OpenID Connect provider that signs in to a Cocreate account."""

    __tablename__ = "identities"
    __table_args__ = (UniqueConstraint("issuer", "subject"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    issuer: Mapped[str] = mapped_column(String(255))
    # The provider's `sub`: stable and never reassigned, unlike an address or a username.
    subject: Mapped[str] = mapped_column(String(255))
    # What the provider said at link time, to show on the settings page; never used to match.
    email: Mapped[str] = mapped_column(String(254), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)

    user: Mapped[User] = relationship(back_populates="identities")

    def __repr__(self) -> str:
        return f"<Identity {self.subject} at {self.issuer} of user {self.user_id}>"


# Usernames and emails are unique whatever their case: "Alice" and "alice" are one person.
Index("uq_users_username_lower", func.lower(User.username), unique=True)
Index("uq_users_email_lower", func.lower(User.email), unique=True)
