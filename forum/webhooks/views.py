"""The webhook settings pages of a company, for its owners: /c/<slug>/manage/webhooks."""

from __future__ import annotations

from flask import Blueprint, Flask, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from forum import policy
from forum.companies.models import Company
from forum.companies.services import managed_company
from forum.errors import Invalid
from forum.events.types import POST_CREATED
from forum.forms import form_round_trip, redirect_with_message
from forum.hooks import NavLink, WebhookEvent, hooks_of
from forum.webhooks import payloads, services
from forum.webhooks.forms import EndpointForm
from forum.webhooks.models import WebhookEndpoint
from forum.webhooks.runtime import WebhookRuntime

bp = Blueprint("webhooks", __name__)
FORUM_WEBHOOK_EVENTS = [WebhookEvent(POST_CREATED, "A reply is posted (official ones too)",
                                     payloads.post_created)]


def _company(slug: str) -> Company:
    return managed_company(current_user, slug, policy.Action.MANAGE_WEBHOOKS)


def _endpoint(slug: str, endpoint_id: int) -> WebhookEndpoint:
    return services.get_endpoint(_company(slug), endpoint_id)


def _form(**kwargs: object) -> EndpointForm:
    form = EndpointForm(**kwargs)
    form.event_types.choices = [(kind.event_type, kind.label)
                                for kind in hooks_of().webhook_events.values()]
    return form


def _saved(endpoint: WebhookEndpoint, message: str) -> ResponseReturnValue:
    return redirect_with_message(url_for("webhooks.endpoint", slug=endpoint.company.slug,
                                         endpoint_id=endpoint.id), message)


@bp.route("/c/<slug>/manage/webhooks", methods=["GET", "POST"])
@login_required
def webhooks(slug: str) -> ResponseReturnValue:
    """The company's endpoints, and a form to add one."""
    company = _company(slug)
    form = _form()
    return form_round_trip(
        form, "webhooks/webhooks.html",
        lambda: services.add_endpoint(current_user, company, url=form.url.data,
                                      description=form.description.data,
                                      event_types=form.event_types.data or []),
        lambda endpoint: _saved(endpoint, "Webhook added. Copy its signing secret into "
                                "your receiver."),
        company=company, endpoints=services.endpoints(company))


@bp.route("/c/<slug>/manage/webhooks/<int:endpoint_id>", methods=["GET", "POST"])
@login_required
def endpoint(slug: str, endpoint_id: int) -> ResponseReturnValue:
    """One endpoint: its settings, its secret, and its recent deliveries."""
    endpoint = _endpoint(slug, endpoint_id)
    form = _form(obj=endpoint) if request.method == "GET" else _form()
    return form_round_trip(
        form, "webhooks/endpoint.html",
        lambda: services.update_endpoint(current_user, endpoint, url=form.url.data,
                                         description=form.description.data,
                                         event_types=form.event_types.data or []),
        lambda saved: _saved(saved, "Webhook saved."),
        company=endpoint.company, endpoint=endpoint,
        deliveries=services.recent_deliveries(endpoint))


@bp.post("/c/<slug>/manage/webhooks/<int:endpoint_id>/switch")
@login_required
def switch(slug: str, endpoint_id: int) -> ResponseReturnValue:
    """Enable or disable an endpoint (`enabled` is "on" or "off")."""
    endpoint = _endpoint(slug, endpoint_id)
    wanted = request.form.get("enabled", "")
    if wanted not in {"on", "off"}:
        raise Invalid("Choose to enable or disable the webhook.")
    services.switch_endpoint(current_user, endpoint, wanted == "on")
    return _saved(endpoint, "Webhook enabled." if wanted == "on" else
                  "Webhook disabled: nothing is sent to it until you enable it.")


@bp.post("/c/<slug>/manage/webhooks/<int:endpoint_id>/delete")
@login_required
def delete(slug: str, endpoint_id: int) -> ResponseReturnValue:
    """Delete an endpoint and its deliveries (the page asks to confirm first)."""
    endpoint = _endpoint(slug, endpoint_id)
    company, url = endpoint.company, endpoint.url
    services.delete_endpoint(current_user, endpoint)
    return redirect_with_message(url_for("webhooks.webhooks", slug=company.slug),
                                 f"Webhook to {url} deleted.")


@bp.post("/c/<slug>/manage/webhooks/<int:endpoint_id>/secret")
@login_required
def roll_secret(slug: str, endpoint_id: int) -> ResponseReturnValue:
    """A new signing secret (the page asks to confirm first)."""
    endpoint = services.roll_secret(current_user, _endpoint(slug, endpoint_id))
    return _saved(endpoint, "New signing secret made: deliveries are signed with it from "
                  "now on.")


@bp.post("/c/<slug>/manage/webhooks/<int:endpoint_id>/test")
@login_required
def send_test(slug: str, endpoint_id: int) -> ResponseReturnValue:
    """Queue a test event for the endpoint, sent at once by the worker."""
    endpoint = _endpoint(slug, endpoint_id)
    services.send_test(current_user, endpoint)
    return _saved(endpoint, "Test event queued: it shows below once it is sent.")


@bp.post("/c/<slug>/manage/webhooks/<int:endpoint_id>/deliveries/<int:delivery_id>/resend")
@login_required
def resend(slug: str, endpoint_id: int, delivery_id: int) -> ResponseReturnValue:
    """Send a failed delivery again."""
    endpoint = _endpoint(slug, endpoint_id)
    services.resend(current_user, endpoint, delivery_id)
    return _saved(endpoint, "Delivery queued again.")


def configure_webhooks(app: Flask) -> None:
    """Forum's webhook events, its pages and link, and its thread under the development
    server."""
    hooks = hooks_of(app)
    hooks.add_webhook_events(FORUM_WEBHOOK_EVENTS)
    hooks.add_blueprint(bp)
    hooks.add_nav_link("manage", NavLink("Webhooks", "webhooks.webhooks", 60, ("webhooks.",),
                                         action=policy.Action.MANAGE_WEBHOOKS))
    app.extensions[WebhookRuntime.EXTENSION] = runtime = WebhookRuntime(app)
    app.before_request(runtime.start_on_first_request)
