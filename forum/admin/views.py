"""Admin pages: boards and roles."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from forum.accounts import forms as account_forms
from forum.accounts import services as account_services
from forum.accounts import two_factor
from forum.accounts.validation import username_key
from forum.actions import action
from forum.admin import bp, forms, services
from forum.extensions import db
from forum.forms import EmptyForm
from forum.models import Category, RoleChange, User
from forum.permissions import (
    can_change_role,
    can_end_user_sessions,
    can_manage_categories,
    can_reset_two_factor,
    require,
)


@bp.before_request
def _admins_only():
    require(can_manage_categories, current_user)


@bp.route("/")
def dashboard():
    """Admin home."""
    return redirect(url_for("admin.categories"))


@bp.route("/categories", methods=["GET", "POST"])
def categories():
    """List boards and create one."""
    form = forms.CategoryForm()
    if form.validate_on_submit():
        with action(form, field="name") as done:
            cat = services.create_category(name=form.name.data, description=form.description.data or "",
                                           slug=form.slug.data or None)
        if done:
            flash(f"Board “{cat.name}” created.", "success")
            return redirect(url_for("admin.categories"))
    cats = list(db.session.scalars(select(Category).order_by(Category.position, Category.id)))
    return render_template("admin/categories.html", categories=cats, form=form, move_form=forms.MoveForm()), 422 if form.errors else 200


@bp.route("/categories/<id:category_id>", methods=["GET", "POST"])
def edit_category(category_id: int):
    """Rename a board or change its description."""
    cat = db.get_or_404(Category, category_id)
    form = forms.CategoryForm(obj=cat)
    if form.validate_on_submit():
        with action(form, field="name") as done:
            services.rename_category(cat, name=form.name.data, description=form.description.data or "")
        if done:
            flash("Board saved.", "success")
            return redirect(url_for("admin.categories"))
    return render_template("admin/edit_category.html", category=cat, form=form), 422 if form.errors else 200


@bp.route("/categories/<id:category_id>/move", methods=["POST"])
def move_category(category_id: int):
    """Move a board up or down the list."""
    cat = db.get_or_404(Category, category_id)
    form = forms.MoveForm()
    if not form.validate_on_submit():
        abort(400, "Bad move request.")
    with action():
        services.move_category(cat, -1 if form.direction.data == "up" else 1)
    return redirect(url_for("admin.categories"))


@bp.route("/users")
def users():
    """Find a user to change their role; recent role changes."""
    q = request.args.get("q", "")[:60].replace("\x00", "").strip()  # PostgreSQL refuses NUL
    stmt = select(User).order_by(User.id.desc()).limit(50)
    if q:
        stmt = select(User).where(User.username_key.startswith(username_key(q), autoescape=True)).order_by(User.username_key).limit(50)
    found = list(db.session.scalars(stmt))
    changes = list(
        db.session.scalars(
            select(RoleChange).options(joinedload(RoleChange.user), joinedload(RoleChange.changed_by)).order_by(RoleChange.id.desc()).limit(30)
        )
    )
    return render_template("admin/users.html", users=found, q=q, changes=changes)


@bp.route("/users/<id:user_id>/role", methods=["GET", "POST"])
def change_role(user_id: int):
    """Change one user's role, with a reason."""
    user = db.get_or_404(User, user_id)
    require(can_change_role, current_user, user)
    form = forms.RoleForm(role=user.role)
    if form.validate_on_submit():
        with action(form, field="reason") as done:
            change = account_services.set_role(user, form.role.data, changed_by=current_user, reason=form.reason.data)
        if done:
            flash(f"{user.username} is now {user.role}." if change else "Nothing changed.", "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/change_role.html", user=user, form=form, end_form=EmptyForm(),
                           reset_form=account_forms.ResetTwoFactorForm()), 422 if form.errors else 200


@bp.route("/users/<id:user_id>/sessions/end", methods=["POST"])
def end_user_sessions(user_id: int):
    """Sign a user out everywhere."""
    user = db.get_or_404(User, user_id)
    require(can_end_user_sessions, current_user, user)
    if not EmptyForm().validate_on_submit():
        abort(400)
    with action() as done:
        ended = account_services.end_user_sessions_by_admin(user, actor=current_user)
    if done:
        flash(f"{user.username} is signed out everywhere ({ended} session{'s' if ended != 1 else ''} ended).", "success")
    return redirect(url_for("admin.change_role", user_id=user.id))


@bp.route("/deleted-accounts")
def deleted_accounts():
    """The record of accounts their owners deleted (no personal data: the account's
    number, role, dates and what it left on the forum)."""
    from forum.accounts import queries as account_queries
    from forum.permissions import can_view_account_deletions

    require(can_view_account_deletions, current_user)
    return render_template("admin/deleted_accounts.html", deletions=account_queries.account_deletions())


@bp.route("/users/<id:user_id>/two-factor/reset", methods=["POST"])
def reset_two_factor(user_id: int):
    """Remove a user's authenticator app (a lost phone), with a reason; logged."""
    user = db.get_or_404(User, user_id)
    require(can_reset_two_factor, current_user, user)
    form = account_forms.ResetTwoFactorForm()
    if not form.validate_on_submit():
        abort(400, "; ".join(e for errs in form.errors.values() for e in errs) or "Bad request.")
    with action() as done:
        was_on = two_factor.reset_by_admin(user, actor=current_user, reason=form.reason.data)
    if done:
        flash(f"{user.username}'s two-factor sign-in is reset; they set it up again at their next sign-in."
              if was_on else f"{user.username} had no two-factor sign-in; their sessions are ended.", "success")
    return redirect(url_for("admin.change_role", user_id=user.id))
