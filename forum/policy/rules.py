"""The forum's rules, gathered: those of accounts, discussions and moderation from their
modules, and here those about running a company."""

from __future__ import annotations

from forum.hooks import Rule
from forum.policy import OWNERS, Action, admin_only, company_rule, signed_in, view_company
from forum.policy.accounts import ACCOUNT_RULES
from forum.policy.discussion import DISCUSSION_RULES
from forum.policy.moderation import MODERATION_RULES

COMPANY_RULES: dict[str, Rule] = {
    Action.CREATE_COMPANY: lambda user, _none: admin_only(
        user, "Only site admins open companies."),
    # A company's space opens on its own request (proved by mail), approved by an admin.
    Action.REQUEST_COMPANY: lambda user, _none: signed_in(
        user, "ask for your company's space"),
    Action.DECIDE_COMPANY_REQUEST: lambda user, _request: admin_only(
        user, "Only site admins decide requests for a company's space."),
    Action.EDIT_COMPANY: company_rule("Only the company's owners change its settings.",
                                      OWNERS),
    Action.MANAGE_STAFF: company_rule("Only the company's owners manage its staff.", OWNERS),
    Action.VIEW_MANAGE: company_rule("Only the company's staff manage it."),
    Action.VIEW_COMPANY: view_company,
    Action.MANAGE_GUESTS: company_rule(
        "Only the company's owners decide who sees its private space.", OWNERS),
    Action.EXPORT_COMPANY: company_rule("Only the company's owners export its data.", OWNERS),
    # A company token acts as the owner who made it, so only owners make them.
    Action.MANAGE_API_TOKENS: company_rule("Only the company's owners manage its API tokens.",
                                           OWNERS),
    Action.MANAGE_WEBHOOKS: company_rule("Only the company's owners manage its webhooks.",
                                         OWNERS),
}

FORUM_RULES: dict[str, Rule] = {
    **ACCOUNT_RULES, **DISCUSSION_RULES, **MODERATION_RULES, **COMPANY_RULES}
