"""Moderation pages: post history, hide/restore/spam, lock/move/merge, flags,
appeals, suspensions, the review queue and the public moderation log."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from forum import actions
from forum.actions import action
from forum.extensions import db
from forum.models import Appeal, Category, Post, Topic
from forum.moderation import bp, forms, queries, services
from forum.permissions import (
    can_appeal_post,
    can_flag_post,
    can_moderate,
    can_suspend_user,
    can_view_hidden_post,
    require,
)
from forum.web import MAX_ID, page_arg


def _done(message: str, changed: bool, target: str):
    flash(message if changed else "Nothing to change.", "success" if changed else "info")
    return redirect(target)


# --- history (the edit itself is forum.topics.edit) --------------------------------------


@bp.route("/p/<id:post_id>/history")
def post_history(post_id: int):
    """Every revision of a post, each as a diff against the one before."""
    post = db.get_or_404(Post, post_id)
    visible = can_view_hidden_post(current_user, post)
    revisions = queries.post_history(post, viewer_is_staff=bool(current_user.is_authenticated and current_user.is_staff)) if visible else []
    titles = queries.title_history(post.topic) if post.is_first else []
    return render_template("moderation/history.html", post=post, revisions=revisions, titles=titles, visible=visible)


# --- hide, restore, spam, dismiss --------------------------------------------------------

_POST_ACTIONS = {
    "hide": ("Hide this post", "The post is hidden.", lambda p, r: services.hide_post(p, actor=current_user, reason=r)),
    "restore": ("Restore this post", "The post is visible again.",
                lambda p, r: services.restore_post(p, actor=current_user, reason=r)),
    "spam": ("Remove this post as spam", "The post is removed as spam.",
             lambda p, r: services.delete_spam(p, actor=current_user, reason=r)),
    "dismiss-flags": ("Dismiss this post's flags", "Flags dismissed.",
                      lambda p, r: services.dismiss_flags(p, actor=current_user, reason=r)),
}


@bp.route("/p/<id:post_id>/<any(hide, restore, spam, 'dismiss-flags'):action>", methods=["GET", "POST"])
def post_action(post_id: int, action: str):
    """Hide, restore, remove as spam or dismiss flags on a post (moderators, with a reason)."""
    post = db.get_or_404(Post, post_id)
    require(can_moderate, current_user, post)
    title, message, verb = _POST_ACTIONS[action]
    form = forms.ReasonForm()
    if form.validate_on_submit():
        with actions.action(form, field="reason") as done:  # ``action`` is the URL's verb here
            changed = verb(post, form.reason.data)
        if done:
            return _done(message, changed, request.args.get("back") == "queue" and url_for("moderation.review")
                         or url_for("topics.permalink", post_id=post.id))
    return render_template("moderation/post_action.html", post=post, form=form, title=title,
                           action=action), 422 if form.errors else 200


# --- topics ------------------------------------------------------------------------------


@bp.route("/t/<id:topic_id>/lock", methods=["GET", "POST"])
def lock_topic(topic_id: int):
    """Lock or unlock a topic."""
    topic = db.get_or_404(Topic, topic_id)
    require(can_moderate, current_user, topic)
    form = forms.LockForm()
    if request.method == "GET":
        form.locked.data = "0" if topic.is_locked else "1"
    if form.validate_on_submit():
        locked = form.locked.data == "1"
        with action(form, field="reason") as done:
            changed = services.set_locked(topic, locked, actor=current_user, reason=form.reason.data)
        if done:
            return _done("Topic locked." if locked else "Topic unlocked.", changed,
                         url_for("topics.view_topic", topic_id=topic.id))
    return render_template("moderation/topic_action.html", topic=topic, form=form, kind="lock"), 422 if form.errors else 200


@bp.route("/t/<id:topic_id>/move", methods=["GET", "POST"])
def move_topic(topic_id: int):
    """Move a topic to another board."""
    topic = db.get_or_404(Topic, topic_id)
    require(can_moderate, current_user, topic)
    form = forms.MoveForm()
    categories = list(db.session.scalars(select(Category).order_by(Category.position, Category.id)))
    form.category.choices = [SelectChoice(c.id, c.name) for c in categories]
    if request.method == "GET":
        form.category.data = topic.category_id
    if form.validate_on_submit():
        with action(form, field="reason") as done:
            changed = services.move_topic(topic, db.session.get(Category, form.category.data), actor=current_user,
                                          reason=form.reason.data)
        if done:
            return _done("Topic moved.", changed, url_for("topics.view_topic", topic_id=topic.id))
    return render_template("moderation/topic_action.html", topic=topic, form=form, kind="move"), 422 if form.errors else 200


@bp.route("/t/<id:topic_id>/merge", methods=["GET", "POST"])
def merge_topic(topic_id: int):
    """Merge a topic into another."""
    topic = db.get_or_404(Topic, topic_id)
    require(can_moderate, current_user, topic)
    form = forms.MergeForm()
    if form.validate_on_submit():
        into_id = int(form.into.data)
        into = db.session.get(Topic, into_id) if into_id <= MAX_ID else None
        with action(form, field="reason") as done:
            services.merge_topic(topic, into, actor=current_user, reason=form.reason.data)
        if done:
            return _done("Topics merged.", True, url_for("topics.view_topic", topic_id=into.id))
    return render_template("moderation/topic_action.html", topic=topic, form=form, kind="merge"), 422 if form.errors else 200


# --- flags and appeals -------------------------------------------------------------------


@bp.route("/p/<id:post_id>/flag", methods=["GET", "POST"])
def flag_post(post_id: int):
    """Flag a post for the moderators, once, with a reason."""
    post = db.get_or_404(Post, post_id)
    if current_user.is_authenticated and post.author_id == current_user.id:
        abort(403, "You cannot flag your own post.")
    require(can_flag_post, current_user, post)
    form = forms.FlagForm()
    if form.validate_on_submit():
        with action(form, field="reason", integrity_message="You have already flagged this post.") as done:
            services.flag_post(post, user=current_user, reason=form.reason.data, note=form.note.data or "")
        if done:
            flash("Thank you: the moderators will review this post.", "success")
            return redirect(url_for("topics.permalink", post_id=post.id))
    return render_template("moderation/flag.html", post=post, form=form), 422 if form.errors else 200


@bp.route("/p/<id:post_id>/appeal", methods=["GET", "POST"])
def appeal_post(post_id: int):
    """The author appeals, once, against the moderation of their post."""
    post = db.get_or_404(Post, post_id)
    require(can_appeal_post, current_user, post)
    existing = queries.appeal_of(post, current_user)
    form = forms.AppealForm()
    if existing is None and form.validate_on_submit():
        with action(form, field="text", integrity_message="You have already appealed for this post.") as done:
            services.appeal_post(post, user=current_user, text=form.text.data)
        if done:
            flash("Your appeal is sent. A moderator will review it; the outcome is logged publicly.", "success")
            return redirect(url_for("topics.permalink", post_id=post.id))
    elif existing is not None and request.method == "POST":
        form.text.errors = ["You have already appealed for this post; an appeal can be made once."]
    return render_template("moderation/appeal.html", post=post, form=form, existing=existing,
                           appealable=services.can_be_appealed(post)), 422 if form.errors else 200


@bp.route("/mod/appeals/<id:appeal_id>", methods=["POST"])
def decide_appeal(appeal_id: int):
    """Grant or deny an appeal (moderators)."""
    require(can_moderate, current_user)
    appeal = db.get_or_404(Appeal, appeal_id)
    form = forms.DecideAppealForm()
    if not form.validate_on_submit():
        flash(" ".join(e for errs in form.errors.values() for e in errs), "error")
        return redirect(url_for("moderation.review")), 303
    with action() as done:
        services.decide_appeal(appeal, actor=current_user, granted=form.outcome.data == "granted",
                               reason=form.reason.data)
    if not done:
        return redirect(url_for("moderation.review")), 303
    return _done(f"Appeal {appeal.outcome}.", True, url_for("moderation.review"))


@bp.route("/mod/review")
def review():
    """The review queue: flagged posts (urgent, most-flagged and oldest first) and appeals."""
    require(can_moderate, current_user)
    return render_template("moderation/review.html", items=queries.review_queue(), appeals=queries.open_appeals(),
                           reason_form=forms.ReasonForm(), appeal_form=forms.DecideAppealForm())


# --- suspensions -------------------------------------------------------------------------


@bp.route("/mod/users/<username>/suspend", methods=["GET", "POST"])
def suspend_user(username: str):
    """Suspend a member, or end their suspension (``?end=1``)."""
    user = queries.user_by_name(username)
    if user is None:
        require(can_moderate, current_user)
        abort(404)
    require(can_suspend_user, current_user, user)
    ending = request.args.get("end") == "1"
    form = forms.ReasonForm() if ending else forms.SuspendForm()
    if form.validate_on_submit():
        with action(form, field="reason") as done:
            if ending:
                changed = services.unsuspend_user(user, actor=current_user, reason=form.reason.data)
            else:
                days = None if form.duration.data == "indefinite" else int(form.duration.data)
                changed = services.suspend_user(user, actor=current_user, reason=form.reason.data, days=days)
        if done:
            return _done("Suspension ended." if ending else "Member suspended.", changed,
                         url_for("accounts.profile", username=user.username))
    return render_template("moderation/suspend.html", user=user, form=form, ending=ending), 422 if form.errors else 200


# --- the public log ----------------------------------------------------------------------


def _log_filters():
    action = request.args.get("action") or None
    if action is not None and action not in queries.ACTION_LABELS:
        abort(400, "Unknown action. Choose one from the list.")
    named = current_app.config.get("MODLOG_NAME_MODERATORS", True)
    moderator = member = None
    if named and request.args.get("moderator"):
        moderator = queries.user_by_name(request.args["moderator"])
        if moderator is None:
            abort(404, "There is no moderator with that name.")
    if request.args.get("member"):
        member = queries.user_by_name(request.args["member"])
        if member is None:
            abort(404, "There is no member with that name.")
    return action, moderator, member, named


@bp.route("/moderation-log")
def moderation_log():
    """The public moderation log: every staff action with its reason."""
    action, moderator, member, named = _log_filters()
    page = queries.moderation_log(page_arg(), action=action, moderator=moderator, member=member)
    if page.page > page.pages:
        abort(404)
    args = {k: v for k, v in (("action", action), ("moderator", moderator and moderator.username),
                              ("member", member and member.username)) if v}
    return render_template("moderation/log.html", page=page, labels=queries.ACTION_LABELS, args=args, named=named)


@bp.route("/moderation-log.atom")
def moderation_log_feed():
    """The moderation log as an Atom feed (newest 50 entries)."""
    from feedgen.feed import FeedGenerator

    action, moderator, member, _ = _log_filters()
    page = queries.moderation_log(1, action=action, moderator=moderator, member=member)
    fg = FeedGenerator()
    log_url = url_for("moderation.moderation_log", _external=True)
    fg.id(log_url)
    fg.title(f"{current_app.config['BRAND_NAME']}: moderation log")
    fg.link(href=log_url, rel="alternate")
    fg.link(href=url_for("moderation.moderation_log_feed", _external=True), rel="self")
    if page.items:
        fg.updated(page.items[0].entry.created_at)
    fg.description("Every moderation action, with its reason.")
    for row in reversed(page.items):
        e = row.entry
        fe = fg.add_entry()
        fe.id(f"{log_url}#entry-{e.id}")
        fe.title(f"{row.label}: {row.who}")
        fe.link(href=f"{log_url}#entry-{e.id}")
        fe.published(e.created_at)
        fe.updated(e.created_at)
        target = f" on {row.topic.title}" if row.topic is not None else ""
        summary = f" ({e.summary})" if e.summary else ""
        fe.content(f"{row.label}{target}{summary}. Reason: {e.reason}", type="text")
    return fg.atom_str(pretty=True), 200, {"Content-Type": "application/atom+xml; charset=utf-8"}
