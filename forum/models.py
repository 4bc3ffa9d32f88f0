"""Every model, imported in one place so Alembic and the app see the whole schema."""

from forum.accounts.models import User
from forum.companies.models import Company, Membership, Role

__all__ = ["Company", "Membership", "Role", "User"]
