"""A company's bans: who may not post there, until when and why, and lifting one early.

Bans are decided from the review queue (moderation.views.decide), on a post, or here by
username."""

from __future__ import annotations

from flask import Blueprint, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from forum import policy
from forum.companies.models import Company
from forum.companies.services import managed_company
from forum.errors import Conflict
from forum.forms import form_round_trip, redirect_with_message
from forum.moderation import bans
from forum.moderation.forms import BanForm, LiftForm
from forum.moderation.models import CompanyBan
from forum.routing import parse_page
from forum.web import wants_fragment

bp = Blueprint("bans", __name__)
LIFTED = "The ban is lifted: they may post here again, and are told why."


@bp.route("/c/<slug>/manage/bans", methods=["GET", "POST"])
@login_required
def bans_page(slug: str) -> ResponseReturnValue:
    """The company's bans, in force and past, each in force with a way to lift it; and
    a form to ban someone by username."""
    company = managed_company(current_user, slug, policy.Action.MODERATE)
    form = BanForm()
    return form_round_trip(
        form, lambda: render_template("moderation/bans.html", company=company, form=form,
                                      page=bans.bans_at(company, request.args.get(
                                          "page", 1, type=parse_page))),
        lambda: bans.ban_by_name(current_user, company, form.username.data,
                                 form.duration.data, form.reason.data, form.note.data),
        lambda made: redirect_with_message(
            url_for("bans.bans_page", slug=company.slug),
            f"{made.user.name} is banned from posting at {company.name} until "
            f"{bans.until_day(made)}, and is told why."),
        refusal_statuses={Conflict: 409})


@bp.route("/c/<slug>/manage/bans/<int:ban_id>/lift", methods=["GET", "POST"])
@login_required
def lift(slug: str, ban_id: int) -> ResponseReturnValue:
    """Lift a ban before it ends, saying why (the GET is the confirmation page)."""
    company = managed_company(current_user, slug, policy.Action.MODERATE)
    ban = bans.get_ban(company, ban_id)
    policy.require(current_user, policy.Action.LIFT_BAN, ban)
    form = LiftForm()
    return form_round_trip(
        form, "moderation/lift_ban.html",
        lambda: bans.lift_ban(current_user, ban, form.note.data),
        lambda _: _lifted(company, ban), refusal_statuses={Conflict: 409},
        fragment="moderation/_ban_row.html", target=f"#ban-{ban.id}", company=company,
        ban=ban)


def _lifted(company: Company, ban: CompanyBan) -> ResponseReturnValue:
    if wants_fragment():
        return render_template("moderation/_ban_row.html", company=company,
                               ban=bans.get_ban(company, ban.id), form=None, message=LIFTED)
    return redirect_with_message(url_for("bans.bans_page", slug=company.slug), LIFTED)
