"""Making a company's space private, and the customers its owners invite into it.

Who then sees what is forum.companies.access; this module only changes it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import contains_eager

from forum import policy
from forum.accounts import invitations
from forum.accounts.email import check_email, owner_of
from forum.accounts.models import User
from forum.accounts.services import find_user
from forum.companies.models import Company, CompanyGuest
from forum.database import write_transaction
from forum.errors import Conflict, Invalid, NotFound
from forum.events import types as events
from forum.events.log import record
from forum.extensions import db
from forum.threads.urls import company_path


def set_privacy(actor: User, company: Company, private: bool) -> bool:
    """An owner opens the space to everyone or keeps it to its staff and guests; True if
    that changed anything. Every kept page goes stale at once (the event is shown
    everywhere), so no visitor is served a page of a space gone private."""
    policy.require(actor, policy.Action.EDIT_COMPANY, company)
    with write_transaction():
        if company.is_private == private:
            return False
        company.is_private = private
        record(events.COMPANY_PRIVACY_SET, actor, company, company,
               {"private": [not private, private]})
    return True


def list_guests(company: Company) -> list[CompanyGuest]:
    """The customers invited into the space, by username."""
    return list(db.session.scalars(
        select(CompanyGuest).where(CompanyGuest.company_id == company.id)
        .join(CompanyGuest.user).options(contains_eager(CompanyGuest.user))
        .order_by(func.lower(User.username))))


@dataclass(frozen=True)
class Invited:
    guest: CompanyGuest
    named: str  # the person as the owner named them: "@name" or the address


def invite_guest(actor: User, company: Company, *, username: str | None = None,
                 email: str | None = None) -> Invited:
    """Let a customer into the space, by username or by email address. An address no
    account has confirmed gets an invited account and a link to claim it, worded alike
    either way, so the form never says whose an address is."""
    policy.require(actor, policy.Action.MANAGE_GUESTS, company)
    if (username is None) == (email is None):
        raise Invalid("Give the customer's username or email address.", field="customer")
    with write_transaction(keep_loaded=True):
        if username is not None:
            name = username.strip().removeprefix("@")
            person = find_user(name) if name else None
            if person is None:
                raise Invalid(f"There is nobody called @{name} here. Check the spelling, or "
                              "give their email address.", field="customer")
            named = f"@{person.username}"
        else:
            address = check_email(email or "", field="customer")
            person = owner_of(address)
            if person is None:
                person, _made = invitations.invited_account(actor, company.id, address)
            named = address
        if person.role_at(company.id) is not None:
            raise Conflict(f"{named} is on {company.name}'s staff: staff see the space "
                           "already.", field="customer")
        if db.session.scalar(select(CompanyGuest.id).where(
                CompanyGuest.company_id == company.id, CompanyGuest.user_id == person.id)):
            raise Conflict(f"{named} is a guest already: nothing changed.", field="customer")
        guest = CompanyGuest(company_id=company.id, user_id=person.id, invited_by_id=actor.id)
        db.session.add(guest)
        db.session.flush()
        record(events.GUEST_ADDED, actor, person, company,
               {"user_id": person.id, "username": person.username, "company": company.name})
        if person.is_unclaimed:
            invitations.mail_invitation(
                person, inviter=company.name, about_path=company_path(company.slug),
                note=f"{company.name} invited you into its private space on Cocreate.")
    return Invited(guest, named)


def remove_guest(actor: User, company: Company, guest_id: int) -> CompanyGuest:
    """Take a guest out of the space: they no longer see it, nor hear of it. What they
    wrote there stays."""
    policy.require(actor, policy.Action.MANAGE_GUESTS, company)
    with write_transaction(keep_loaded=True):
        guest = db.session.get(CompanyGuest, guest_id)
        if guest is None or guest.company_id != company.id:
            raise NotFound("That person is not a guest of this company.")
        record(events.GUEST_REMOVED, actor, guest.user, company,
               {"user_id": guest.user_id, "username": guest.user.username})
        db.session.execute(delete(CompanyGuest).where(CompanyGuest.id == guest.id))
    return guest
