"""Company and Membership models."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.accounts.models import User
from forum.database import utcnow
from forum.extensions import db

SLUG_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$"


class Role(StrEnum):
    """A staff member's role at one company, in order of power."""

    TEAM = "team"
    MODERATOR = "moderator"
    OWNER = "owner"


class Company(db.Model):
    """A company's space on the platform."""

    __tablename__ = "companies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    tagline: Mapped[str] = mapped_column(String(140), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    website: Mapped[str] = mapped_column(String(255), default="")
    logo_url: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # Flags from trusted accounts that hide a post at once, pending review; 0: never.
    flag_threshold: Mapped[int] = mapped_column(Integer, default=3)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="company", cascade="all, delete-orphan"
    )

    @property
    def initials(self) -> str:
        """Up to two letters for the logo placeholder."""
        return "".join(word[0] for word in self.name.split()[:2]).upper()

    def __repr__(self) -> str:
        return f"<Company {self.slug}>"


class Membership(db.Model):
    """One user's staff role at one company."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "company_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="memberships")
    company: Mapped[Company] = relationship(back_populates="memberships")
