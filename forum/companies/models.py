"""Company and Membership models."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.accounts.models import User
from forum.database import utcnow
from forum.extensions import db

SLUG_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$"


def domain_within(domain: str, parent: str) -> bool:
    """`domain` is `parent` or one of its subdomains (mail.northwind.example)."""
    return domain == parent or domain.endswith("." + parent)


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
    # Opened by a site admin, or on a request the company made and an admin approved;
    # only approved companies with an owner are listed in the directory.
    approved_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # The domain a request proved by mail: staff with a confirmed address there are
    # shown as verified. Empty: nothing was proved.
    verified_domain: Mapped[str] = mapped_column(String(255), default="")
    # A private space is seen only by its staff, its guests and site admins: to everyone
    # else its pages are not there (forum.companies.access).
    is_private: Mapped[bool] = mapped_column(Boolean, default=False)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="company", cascade="all, delete-orphan"
    )

    def verifies(self, user: User) -> bool:
        """Is `user`'s confirmed address at the domain this company proved (or below it)?
        Reads only loaded columns: a thread page asks it of every official post."""
        if not self.verified_domain or not user.email or user.email_confirmed_at is None:
            return False
        return domain_within(user.email.rpartition("@")[2].lower(), self.verified_domain)

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


class CompanyGuest(db.Model):
    """A customer an owner invited into the company's private space."""

    __tablename__ = "company_guests"
    __table_args__ = (UniqueConstraint("company_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         index=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    company: Mapped[Company] = relationship()


class RequestStatus(StrEnum):
    """Where a request for a company's space stands."""

    AWAITING_EMAIL = "awaiting_email"
    AWAITING_REVIEW = "awaiting_review"
    APPROVED = "approved"
    DECLINED = "declined"


class CompanyRequest(db.Model):
    """Someone asks for their company's space; it opens once the work email is proved
    and a site admin approves."""

    __tablename__ = "company_requests"
    __table_args__ = (Index("ix_company_requests_status", "status", "id"),
                      Index("ix_company_requests_requester", "requester_id", "created_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(80))
    slug: Mapped[str] = mapped_column(String(40))
    website: Mapped[str] = mapped_column(String(255))
    work_email: Mapped[str] = mapped_column(String(254))
    domain: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    email_confirmed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    status: Mapped[str] = mapped_column(String(20), default=RequestStatus.AWAITING_EMAIL.value)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    decision_note: Mapped[str] = mapped_column(String(500), default="")
    company_id: Mapped[int | None] = mapped_column(
        ForeignKey("companies.id", ondelete="SET NULL"), nullable=True)

    requester: Mapped[User] = relationship(foreign_keys=[requester_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    company: Mapped[Company | None] = relationship()

    @property
    def is_decided(self) -> bool:
        return self.status in (RequestStatus.APPROVED, RequestStatus.DECLINED)

    @property
    def status_label(self) -> str:
        return {RequestStatus.AWAITING_EMAIL: "Waiting for the work email to be confirmed",
                RequestStatus.AWAITING_REVIEW: "Waiting for a site admin",
                RequestStatus.APPROVED: "Approved",
                RequestStatus.DECLINED: "Declined"}.get(self.status, self.status)
