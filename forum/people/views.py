"""Avatar upload, removal and the image route."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from forum import images
from forum.actions import action
from forum.extensions import db
from forum.forms import EmptyForm
from forum.models import User
from forum.people import bp, forms, services
from forum.permissions import can_edit_settings, require


@bp.route("/avatars/<id:user_id>/<key>.webp")
def avatar(user_id: int, key: str):
    """A member's uploaded picture (only their current one)."""
    if not services.KEY_RE.match(key):
        abort(404)
    user = db.session.get(User, user_id)
    if user is None or user.is_deleted or user.avatar_key != key:
        abort(404)
    return images.image_response(services.avatar_path(key))


def _avatar_page(form, status=200):
    return render_template("people/avatar.html", form=form, remove_form=EmptyForm(), limits=_limits()), status


def _limits() -> dict:
    return {"mb": current_app.config["AVATAR_MAX_BYTES"] // (1024 * 1024)}


@bp.route("/settings/avatar", methods=["GET", "POST"])
def upload_avatar():
    """The member's picture: upload (or replace) one; errors come back with a 4xx."""
    require(can_edit_settings, current_user)
    request.max_content_length = current_app.config["AVATAR_MAX_BYTES"] + 64 * 1024
    form = forms.AvatarForm()
    if request.method == "GET":
        return _avatar_page(form)
    if not form.validate_on_submit():
        form.picture.errors = ["The form expired: reload the page and try again."]
        return _avatar_page(form, 400)
    upload = form.picture.data
    if upload is None or not getattr(upload, "filename", ""):
        form.picture.errors = ["Choose an image file to upload."]
        return _avatar_page(form, 400)
    with action(form, field="picture") as done:
        services.set_avatar(current_user, upload.read(current_app.config["AVATAR_MAX_BYTES"] + 1))
    if not done:
        return _avatar_page(form, done.error.status)
    flash("Your picture is saved.", "success")
    return redirect(url_for("people.upload_avatar"))


@bp.route("/settings/avatar/remove", methods=["POST"])
def remove_avatar():
    """Remove the member's picture: back to their initials."""
    require(can_edit_settings, current_user)
    if not EmptyForm().validate_on_submit():
        abort(400, "The form expired: reload the settings page and try again.")
    with action() as done:
        removed = services.remove_avatar(current_user)
    if done and removed:
        flash("Your picture is removed.", "success")
    return redirect(url_for("people.upload_avatar"))
