"""The User model."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import Boolean, DateTime, Index, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.database import utcnow
from forum.extensions import db

if TYPE_CHECKING:
    from forum.companies.models import Membership

USERNAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_]{2,29}$"


class User(UserMixin, db.Model):
    """One person's account, shared across every company on the platform."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(30))
    email: Mapped[str] = mapped_column(String(254))
    password_hash: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(60), default="")
    bio: Mapped[str] = mapped_column(Text, default="")
    is_site_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    suspended_until: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    suspension_reason: Mapped[str] = mapped_column(String(500), default="")
    # Bumped to end every session at once (suspension, password change): sessions and
    # remember-me cookies carry the generation they were made in.
    session_generation: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    # Loaded when asked for: policy asks about the signed-in user, not about every author
    # a page shows, so loading them with each user would cost a query per list of users.
    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    def get_id(self) -> str:
        return f"{self.id}:{self.session_generation}"

    @property
    def name(self) -> str:
        """What to call this person on a page."""
        return self.display_name or self.username

    @property
    def is_suspended(self) -> bool:
        return self.suspended_until is not None and self.suspended_until > utcnow()

    def role_at(self, company_id: int) -> str | None:
        """This user's staff role at a company, or None for a customer."""
        for membership in self.memberships:
            if membership.company_id == company_id:
                return membership.role
        return None

    def __repr__(self) -> str:
        return f"<User {self.username}>"


# Usernames and emails are unique whatever their case: "Alice" and "alice" are one person.
Index("uq_users_username_lower", func.lower(User.username), unique=True)
Index("uq_users_email_lower", func.lower(User.email), unique=True)
