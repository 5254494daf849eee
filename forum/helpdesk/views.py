"""Help-desk pages and actions."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from forum.actions import action
from forum.extensions import db
from forum.forms import EmptyForm, require_valid
from forum.helpdesk import assignment, bp, cases, forms, queries, services
from forum.models import Category, Post, Topic
from forum.models.cases import ISSUE_LABELS, STATE_LABELS
from forum.permissions import (
    can_accept_solution,
    can_claim_topic,
    can_give_kudos,
    can_mark_official_answer,
    can_rate_satisfaction,
    can_resolve_topic_for_asker,
    can_set_issue_label,
    can_view_staff_queue,
    require,
)
from forum.rendering import RenderedOnce
from forum.web import page_arg, safe_next


def _to_post(post: Post):
    return redirect(url_for("topics.permalink", post_id=post.id))


def _to_topic(topic: Topic, anchor: str | None = None):
    return redirect(url_for("topics.view_topic", topic_id=topic.id, slug=topic.slug, _anchor=anchor))


@bp.route("/p/<id:post_id>/official-answer", methods=["GET", "POST"])
def official_answer(post_id: int):
    """Mark a reply as its topic's official answer, with a reason (staff)."""
    post = db.get_or_404(Post, post_id)
    require(can_mark_official_answer, current_user, post)
    form = forms.OfficialAnswerForm()
    if form.validate_on_submit():
        with action(form, field="reason") as done:
            changed = services.mark_official_answer(post, actor=current_user, reason=form.reason.data)
        if done:
            flash("Marked as the official answer." if changed else "That reply already is the official answer.", "success")
            return _to_post(post)
    status = 422 if form.errors else 200
    return render_template("helpdesk/official_answer.html", post=post, topic=post.topic, form=form), status


@bp.route("/p/<id:post_id>/solution", methods=["POST"])
def accept_solution(post_id: int):
    """The topic's author accepts a reply as the solution."""
    post = db.get_or_404(Post, post_id)
    require(can_accept_solution, current_user, post)
    require_valid(EmptyForm())
    with action() as done:
        changed = services.accept_solution(post, actor=current_user)
    if done and changed:
        flash("Thank you! The reply is marked as the solution. Did it solve your problem? Tell us below.", "success")
        return _to_topic(post.topic, "satisfaction")
    return _to_post(post)


@bp.route("/t/<id:topic_id>/satisfaction", methods=["POST"])
def satisfaction(topic_id: int):
    """The author answers "Did this solve your problem?"."""
    topic = db.get_or_404(Topic, topic_id)
    require(can_rate_satisfaction, current_user, topic)
    form = forms.SatisfactionForm()
    require_valid(form)
    with action(quiet=True) as done:
        services.rate_satisfaction(topic, user=current_user, answer=form.answer.data, comment=form.comment.data or "")
    if not done:
        abort(done.error.status, done.error.message)
    flash("Thanks for your feedback.", "success")
    return _to_topic(topic, "satisfaction")


@bp.route("/t/<id:topic_id>/satisfaction/score", methods=["POST"])
def satisfaction_score(topic_id: int):
    """After a Yes, the author scores their satisfaction from 1 to 5."""
    topic = db.get_or_404(Topic, topic_id)
    require(can_rate_satisfaction, current_user, topic)
    form = forms.SatisfactionScoreForm()
    require_valid(form)
    with action(quiet=True) as done:
        services.rate_satisfaction_score(topic, user=current_user, score=form.score.data)
    if not done:
        abort(done.error.status, done.error.message)
    flash("Thanks: your score helps Customer Care improve.", "success")
    return _to_topic(topic, "satisfaction")


@bp.route("/p/<id:post_id>/kudos", methods=["POST"])
def kudos(post_id: int):
    """Give kudos to a post (once; not to one's own)."""
    post = db.get_or_404(Post, post_id)
    require(can_give_kudos, current_user, post)
    require_valid(EmptyForm())
    # A double click that raced the service's check fails on the unique constraint.
    with action(quiet=True, integrity_message=services.KUDOS_TWICE_MESSAGE) as done:
        services.give_kudos(post, user=current_user)
    if not done:
        abort(409, done.error.message)
    flash("Kudos given.", "success")
    return _to_post(post)


@bp.route("/staff/queue")
def staff_queue():
    """Topics waiting for a first staff reply, oldest first (staff); ?show=mine/unassigned/all."""
    require(can_view_staff_queue, current_user)
    show = request.args.get("show", "all")
    if show not in assignment.QUEUE_FILTERS:
        abort(400, "Show one of: all, mine, unassigned.")
    slug = request.args.get("category", "")[:80]
    category = None
    if slug:
        category = db.session.scalar(select(Category).where(Category.slug == slug)) if "\x00" not in slug else None
        if category is None:
            abort(404)
    queue = queries.staff_queue(page_arg(), category.id if category else None, show=show, viewer_id=current_user.id)
    if queue.page > 1 and not queue.entries:
        abort(404)
    categories = db.session.scalars(select(Category).order_by(Category.position, Category.id)).all()
    return render_template("helpdesk/staff_queue.html", queue=queue, category=category, categories=categories,
                           claim_form=EmptyForm(), show=show)


@bp.route("/t/<id:topic_id>/claim", methods=["POST"])
def claim(topic_id: int):
    """Claim a topic: it is yours until you release or answer it (staff). Back to
    ``next`` (the queue page it was claimed from) or the topic."""
    topic = db.get_or_404(Topic, topic_id)
    require(can_claim_topic, current_user, topic)
    require_valid(EmptyForm())
    with action() as done:
        other = assignment.claim_topic(topic, actor=current_user)
    if done and other is not None:
        flash(f"{other.shown_name} had claimed “{topic.title}”; it is now yours.", "info")
    elif done:
        flash(f"You claimed “{topic.title}”: it is yours until you release or answer it.", "success")
    return redirect(safe_next(url_for("topics.view_topic", topic_id=topic.id, slug=topic.slug)))


def _refused(done, form, template: str, **context):
    """A refused case action: a field error shows the form again (422); anything else
    (403, 404, 409) is an error page with the message."""
    error = done.error
    if error.field and error.field in form._fields:
        form[error.field].errors = [*form[error.field].errors, error.message]
        return render_template(template, form=form, **context), 422
    abort(error.status, error.message)


@bp.route("/t/<id:topic_id>/resolve", methods=["GET", "POST"])
def resolve_for_asker(topic_id: int):
    """Resolve a help topic on the asker's behalf, with a reason for the public log (staff)."""
    topic = db.get_or_404(Topic, topic_id)
    require(can_resolve_topic_for_asker, current_user, topic)
    form = forms.ResolveForAskerForm()
    if form.validate_on_submit():
        with action(quiet=True) as done:
            cases.resolve_for_asker(topic, actor=current_user, reason=form.reason.data)
        if not done:
            return _refused(done, form, "helpdesk/resolve.html", topic=topic)
        flash("Resolved for the asker. The reason is in the public moderation log.", "success")
        return _to_topic(topic)
    return render_template("helpdesk/resolve.html", topic=topic, form=form), 422 if form.errors else 200


@bp.route("/t/<id:topic_id>/label", methods=["GET", "POST"])
def issue_label(topic_id: int):
    """Set or clear a topic's issue label, optionally linked to an incident (staff)."""
    topic = db.get_or_404(Topic, topic_id)
    require(can_set_issue_label, current_user, topic)
    form = forms.IssueLabelForm(data={"label": topic.issue_label or "", "incident": topic.issue_incident_id}
                                if request.method == "GET" else None)
    if form.validate_on_submit():
        with action(quiet=True) as done:
            changed = cases.set_issue_label(topic, actor=current_user, label=form.label.data or None,
                                            incident_id=form.incident.data, reason=form.reason.data)
        if not done:
            return _refused(done, form, "helpdesk/issue_label.html", topic=topic)
        flash("Issue label saved." if changed else "The label was already set that way.", "success")
        return _to_topic(topic)
    return render_template("helpdesk/issue_label.html", topic=topic, form=form), 422 if form.errors else 200


# --- helpers the shared templates call (topic page, category page, profile) ---


@bp.app_template_global("helpdesk_topic_extras")
def _topic_extras(topic, first, page, viewer):
    posts = ([first] if first else []) + [entry.post for entry in page.items]
    extras = queries.topic_extras(topic, posts, viewer)
    extras.forms = _forms()
    return extras


@bp.app_template_global("helpdesk_profile_stats")
def _profile_stats(user):
    return queries.profile_stats(user)


class _LazyForms(dict):
    """The topic page's help-desk forms, each built the first time a template uses it:
    a form carries a CSRF token, and building one puts a session cookie on the
    response, so a visitor's page (which shows none of them) stays cookie-free and
    publicly cacheable (forum/httpcache.py)."""

    _BUILDERS = {
        # Its CSRF field is on every post's buttons: rendered once (forum/rendering.py).
        "action": lambda: RenderedOnce(EmptyForm()),
        "satisfaction": lambda: forms.SatisfactionForm(),
        "satisfaction_score": lambda: forms.SatisfactionScoreForm(),
        "resolve": lambda: forms.ResolveForAskerForm(formdata=None),
        "label": lambda: forms.IssueLabelForm(formdata=None),
    }

    def __missing__(self, key):
        if key == "subscription":  # the same empty form as the post buttons'
            value = self[key] = self["action"]
            return value
        if key not in self._BUILDERS:
            raise KeyError(key)
        value = self[key] = self._BUILDERS[key]()
        return value


@bp.app_template_global("helpdesk_forms")
def _forms():
    return _LazyForms()


bp.add_app_template_global(STATE_LABELS, "case_state_labels")
bp.add_app_template_global(ISSUE_LABELS, "issue_labels")


@bp.app_template_filter("waited")
def _waited(delta) -> str:
    """``3 days 4 h``, ``5 h 12 min``, ``7 min``."""
    minutes = int(delta.total_seconds() // 60)
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} day{'s' if days != 1 else ''} {hours} h"
    if hours:
        return f"{hours} h {mins} min"
    return f"{mins} min"
