"""``/admin/webhooks``: endpoints, their secrets, test pings and delivery logs (admins only)."""

from flask import current_app, flash, redirect, render_template, url_for
from flask_login import current_user

from forum.actions import action
from forum.extensions import db
from forum.forms import EmptyForm, require_valid
from forum.models import WebhookEndpoint
from forum.permissions import can_manage_webhooks, require
from forum.web import page_arg
from forum.webhooks import bp, forms, queries, services


@bp.before_request
def _admins_only():
    require(can_manage_webhooks, current_user)


@bp.route("/")
def endpoints():
    """The endpoints, with a notice for those the forum switched off."""
    return render_template("webhooks/endpoints.html", endpoints=queries.endpoints(), switched_off=queries.switched_off())


@bp.route("/new", methods=["GET", "POST"])
def new_endpoint():
    """Register an endpoint; its secret is shown once, on the answer to this form."""
    form = forms.EndpointForm()
    if form.validate_on_submit():
        with action(form, field="url") as done:
            endpoint = services.create_endpoint(actor=current_user, url=form.url.data, description=form.description.data,
                                                events=form.events.data, is_active=form.is_active.data)
        if done:
            return _show(endpoint, secret=endpoint.secret, created=True)
    return render_template("webhooks/edit.html", form=form, endpoint=None), 422 if form.errors else 200


def _show(endpoint: WebhookEndpoint, *, secret: str | None = None, created: bool = False):
    page = queries.attempts_log(endpoint, page=page_arg(), per_page=current_app.config["WEBHOOKS_LOG_PER_PAGE"])
    return render_template("webhooks/endpoint.html", endpoint=endpoint, log=page, secret=secret, created=created,
                           pending=queries.pending_count(endpoint), form=EmptyForm())


@bp.route("/<id:endpoint_id>")
def endpoint(endpoint_id: int):
    """An endpoint's settings and delivery log (newest attempt first)."""
    return _show(db.get_or_404(WebhookEndpoint, endpoint_id))


@bp.route("/<id:endpoint_id>/edit", methods=["GET", "POST"])
def edit_endpoint(endpoint_id: int):
    """Change the URL, description, events or active flag."""
    endpoint = db.get_or_404(WebhookEndpoint, endpoint_id)
    form = forms.EndpointForm(obj=endpoint)
    if form.validate_on_submit():
        with action(form, field="url") as done:
            changed = services.update_endpoint(endpoint, actor=current_user, url=form.url.data,
                                               description=form.description.data, events=form.events.data,
                                               is_active=form.is_active.data)
        if done:
            flash("Endpoint saved." if changed else "Nothing changed.", "success" if changed else "info")
            return redirect(url_for("webhooks.endpoint", endpoint_id=endpoint.id))
    return render_template("webhooks/edit.html", form=form, endpoint=endpoint), 422 if form.errors else 200


@bp.route("/<id:endpoint_id>/ping", methods=["POST"])
def ping(endpoint_id: int):
    """Send a test ping (queued like any delivery; its attempt shows in the log)."""
    endpoint = db.get_or_404(WebhookEndpoint, endpoint_id)
    require_valid(EmptyForm())
    with action() as done:
        services.send_ping(endpoint, actor=current_user)
    if done:
        flash("Test ping sent: see the delivery log.", "success")
    return redirect(url_for("webhooks.endpoint", endpoint_id=endpoint.id))


@bp.route("/<id:endpoint_id>/secret", methods=["POST"])
def reveal_secret(endpoint_id: int):
    """Show the signing secret on this answer only (never in a URL or a cookie)."""
    endpoint = db.get_or_404(WebhookEndpoint, endpoint_id)
    require_valid(EmptyForm())
    return _show(endpoint, secret=endpoint.secret)


@bp.route("/<id:endpoint_id>/rotate", methods=["POST"])
def rotate_secret(endpoint_id: int):
    """Replace the secret; the new one is shown once."""
    endpoint = db.get_or_404(WebhookEndpoint, endpoint_id)
    require_valid(EmptyForm())
    with action() as done:
        secret = services.rotate_secret(endpoint, actor=current_user)
    if not done:
        return redirect(url_for("webhooks.endpoint", endpoint_id=endpoint.id))
    return _show(endpoint, secret=secret)
