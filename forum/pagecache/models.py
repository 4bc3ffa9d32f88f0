"""The one number that changes whenever anything a page shows may have changed."""

from __future__ import annotations

from sqlalchemy import BigInteger, Integer
from sqlalchemy.orm import Mapped, mapped_column

from forum.extensions import db

SITE = 1  # the only row: one version for the whole site


class ContentVersion(db.Model):
    """Bumped as the last statement of every transaction that writes (see pagecache.cache).

    A missing row reads as version 0 and the first write creates it, so an emptied
    database (tests truncate every table) still invalidates correctly.
    """

    __tablename__ = "content_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), default=0)
