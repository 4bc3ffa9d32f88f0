"""Rules about accounts: signing in, suspensions, profiles, sign-in identities, a person's
data and leaving."""

from __future__ import annotations

from typing import Any

from forum.accounts.models import Identity, User
from forum.hooks import Rule
from forum.policy import (
    ALLOWED,
    Action,
    Decision,
    Departure,
    admin_only,
    check,
    refuse,
    signed_in,
)


def _sign_in(_user: Any, account: User) -> Decision:
    if not account.is_suspended:
        return ALLOWED
    assert account.suspended_until is not None
    until = account.suspended_until.strftime("%d %B %Y at %H:%M UTC")
    reason = f" Reason: {account.suspension_reason}" if account.suspension_reason else ""
    return refuse(f"Your account is suspended until {until}.{reason}")


def _suspend_user(user: Any, target: User) -> Decision:
    # Admins cannot be suspended from the web: that takes the CLI, on the server.
    return (admin_only(user, "Only site admins suspend accounts.")
            and check(target.id != user.id, "You cannot suspend yourself.")
            and check(not target.is_site_admin,
                      "Site admins are suspended from the command line, on the server."))


def _edit_profile(user: Any, target: User) -> Decision:
    return (signed_in(user, "edit your profile")
            and check(user.id == target.id, "You can only edit your own profile."))


def _unlink_identity(user: Any, identity: Identity) -> Decision:
    # Never the last way in: an account with no password and no other provider would be
    # shut for good (a password reset needs a confirmed address, and proves less).
    return (signed_in(user, "manage how you sign in")
            and check(user.id == identity.user_id, "You can only unlink your own sign-ins.")
            and check(user.has_password or len(user.identities) > 1,
                      "This is the only way into your account. Set a password first, "
                      "then unlink it."))


def _export_own_data(user: Any, target: User) -> Decision:
    return (signed_in(user, "download your data")
            and check(user.id == target.id, "You can only download your own data."))


def _delete_account(user: Any, departure: Departure) -> Decision:
    """People delete their own account; a company must keep an owner, and a site admin's
    rights are given up on the server first (they are granted there)."""
    person = departure.person
    owned = ", ".join(departure.sole_owner_of)
    return (signed_in(user, "delete your account")
            and check(user.id == person.id, "You can only delete your own account.")
            and check(not person.is_site_admin,
                      "Site admins cannot delete their account here: an operator takes "
                      "their admin rights away on the server first.")
            and check(not departure.sole_owner_of,
                      f"You are the only owner of {owned}: make someone else an owner "
                      "first, so the company is not left without one."))



ACCOUNT_RULES: dict[str, Rule] = {
    Action.SIGN_IN: _sign_in,
    Action.VIEW_ADMIN: lambda user, _none: admin_only(user, "Only site admins see this."),
    Action.SUSPEND_USER: _suspend_user,
    Action.EDIT_PROFILE: _edit_profile,
    Action.UNLINK_IDENTITY: _unlink_identity,
    Action.EXPORT_OWN_DATA: _export_own_data,
    Action.DELETE_ACCOUNT: _delete_account,
}
