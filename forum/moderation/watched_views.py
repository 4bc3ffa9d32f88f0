"""A company's watched words: the moderators add and remove them."""

from __future__ import annotations

from flask import Blueprint, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from forum import policy
from forum.companies.models import Company
from forum.companies.services import managed_company
from forum.errors import Conflict
from forum.forms import form_round_trip, redirect_with_message
from forum.moderation import watched
from forum.moderation.forms import WatchedWordForm
from forum.web import wants_fragment

bp = Blueprint("watched_words", __name__)
ADDED = "Watched from now on, in every new post and edit by customers."


@bp.route("/c/<slug>/manage/watched-words", methods=["GET", "POST"])
@login_required
def words(slug: str) -> ResponseReturnValue:
    """The watched words, and a form to add one (htmx shows the list again in place)."""
    company = managed_company(current_user, slug, policy.Action.MANAGE_WATCHED_WORDS)
    form = WatchedWordForm()
    return form_round_trip(
        form, "moderation/watched_words.html",
        lambda: watched.add_watched_word(current_user, company, form.phrase.data,
                                         form.action.data),
        lambda _: _changed(company, ADDED), refusal_statuses={Conflict: 409},
        fragment="moderation/_watched_words.html", target="#watched-words", company=company,
        words=watched.watched_words(company))


@bp.post("/c/<slug>/manage/watched-words/<int:word_id>/remove")
@login_required
def remove(slug: str, word_id: int) -> ResponseReturnValue:
    """Stop watching for a word (the list asks to confirm first)."""
    company = managed_company(current_user, slug, policy.Action.MANAGE_WATCHED_WORDS)
    word = watched.get_watched_word(company, word_id)
    phrase = word.phrase  # the row is gone once removed
    watched.remove_watched_word(current_user, word)
    return _changed(company, f"“{phrase}” is not watched any more.")


def _changed(company: Company, message: str) -> ResponseReturnValue:
    if wants_fragment():
        return render_template("moderation/_watched_words.html", company=company,
                               words=watched.watched_words(company),
                               form=WatchedWordForm(formdata=None), message=message)
    return redirect_with_message(url_for("watched_words.words", slug=company.slug), message)
