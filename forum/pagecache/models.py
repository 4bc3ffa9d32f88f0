"""The versions that change whenever what a kept page shows may have changed."""

from __future__ import annotations

from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from forum.extensions import db


class ContentVersion(db.Model):
    """One counter per scope ("site", "company:<id>", "thread:<id>"), bumped by every
    transaction that records a change there (see pagecache.cache).

    A missing row reads as version 0 and the first write creates it, so an emptied
    database (tests truncate every table) still invalidates correctly.
    """

    __tablename__ = "content_versions"

    scope: Mapped[str] = mapped_column(String(40), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), default=0)
