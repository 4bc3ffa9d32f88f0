"""API tokens: a person's own, or a company's, stored only as a hash of the secret."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.accounts.models import User
from forum.companies.models import Company
from forum.database import utcnow
from forum.extensions import db


class ApiToken(db.Model):
    """A bearer token. A personal one acts as its person; a company one acts as the owner
    who made it, at that company only, while they are still its owner."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # sha256 of the whole secret: a random 32-byte secret needs no slow hash.
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hint: Mapped[str] = mapped_column(String(20))  # the first characters, to tell them apart
    name: Mapped[str] = mapped_column(String(80))
    scopes: Mapped[str] = mapped_column(String(60))  # space-separated: read write staff
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    company_id: Mapped[int | None] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True, default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)

    user: Mapped[User] = relationship()
    company: Mapped[Company | None] = relationship()

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset(self.scopes.split())

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= utcnow()
