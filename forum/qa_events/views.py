"""Q&A session pages: /ask, /ask/new, /ask/<slug> and the actions on a session."""

from __future__ import annotations

from datetime import UTC

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from forum import idempotency
from forum.actions import ActionError, action, json_error, wants_json
from forum.extensions import db
from forum.forms import EmptyForm, require_valid
from forum.models import Answer, QuestionVote, User
from forum.models.qa_events import QA_STATE_LABELS
from forum.permissions import (
    can_answer_qa_question,
    can_ask_qa_question,
    can_create_qa_event,
    can_edit_qa_answer,
    can_moderate_qa_question,
    can_subscribe_qa_event,
    can_transition_qa_event,
    can_vote_qa_question,
    require,
)
from forum.qa_events import bp, forms, queries, services
from forum.web import page_arg


def _refuse(error: ActionError, form=None) -> None:
    """Show what ``action(quiet=True)`` refused: JSON requests get the body ``action()``
    gives; otherwise the message goes on the form's ``body`` when it is about the body
    (the view then renders the form), else on the error page with the error's status."""
    if wants_json():
        abort(json_error(error.message, error.status, error.field))
    if form is not None and error.field == "body":
        form.body.errors.append(error.message)
        return
    abort(error.status, error.message)


def _load_event(slug: str):
    event = queries.event_by_slug(slug)
    if event is None:
        abort(404)
    return event


def _load_question(event, question_id: int):
    question = queries.get_question(event, question_id)
    if question is None:
        abort(404)
    return question


def _event_url(event, anchor: str | None = None, **kw) -> str:
    return url_for("qa_events.view_event", slug=event.slug, _anchor=anchor, **kw)


@bp.route("/ask")
def index():
    """Upcoming, open and live sessions, and the archive."""
    now = services.clock()
    return render_template("qa_events/index.html", groups=queries.events_overview(now), now=now,
                           state_of=services.effective_state, labels=QA_STATE_LABELS)


@bp.route("/ask/new", methods=["GET", "POST"])
def new_event():
    """Create a Q&A session (Customer Care staff and admins)."""
    require(can_create_qa_event, current_user)
    form = forms.EventForm()
    form.executive_id.choices = [SelectChoice(u.id, f"{u.shown_name} ({u.username})") for u in queries.executives()]
    if not form.executive_id.choices:
        form.executive_id.choices = [SelectChoice(0, "No user has the executive role yet")]
    if form.validate_on_submit():
        executive = db.session.get(User, form.executive_id.data) if form.executive_id.data else None
        times = {name: getattr(form, name).data.replace(tzinfo=UTC) for name in
                 ("questions_open_at", "questions_close_at", "live_starts_at", "live_ends_at")}
        with action(form, field="title") as done:
            event = services.create_event(
                actor=current_user, title=form.title.data, slug=form.slug.data, executive=executive,
                executive_title=form.executive_title.data or "", intro=form.intro.data or "",
                question_limit=form.question_limit.data, **times,
            )
        if done:
            flash("The Q&A session is created.", "success")
            return redirect(_event_url(event))
    return render_template("qa_events/new_event.html", form=form), 422 if form.errors else 200


@bp.route("/ask/<slug>")
def view_event(slug: str):
    """A session: countdown, state, the executive, and the questions."""
    event = _load_event(slug)
    sort = request.args.get("sort", "votes")
    if sort not in queries.SORTS:
        abort(404)
    page_no = page_arg()
    data = queries.event_page(event, sort, page_no, current_user)
    if page_no > data.questions.pages:
        abort(404)
    now = services.clock()
    return render_template(
        "qa_events/view_event.html", event=event, data=data, sort=sort, now=now,
        state=services.effective_state(event, now), labels=QA_STATE_LABELS,
        countdown=queries.countdown(event, services.effective_state(event, now), now),
        accepting=services.accepting_questions(event, now),
        **(_event_forms() if current_user.is_authenticated else {}),
    )


def _event_forms() -> dict:
    """The session page's forms, for signed-in viewers only: a form's CSRF token starts
    a session, and a visitor's page must stay cookie-free (publicly cacheable)."""
    return {"question_form": forms.QuestionForm(), "vote_form": forms.VoteForm(), "reason_form": forms.ReasonForm(),
            "merge_form": forms.MergeForm(), "transition_form": forms.TransitionForm(), "empty_form": EmptyForm()}


@bp.route("/ask/<slug>/question", methods=["GET", "POST"])
def ask_question(slug: str):
    """Ask a question: a "check" step shows similar questions first."""
    event = _load_event(slug)
    require(can_ask_qa_question, current_user, event)
    form = forms.QuestionForm()
    similar = []
    status = 200
    if form.validate_on_submit():
        question = None
        with action(quiet=True) as done:
            idempotency.check(form)  # a retry of a posted question is not "similar": it is the same
            services.check_can_ask(event, current_user)
            similar = services.similar_questions(event, form.body.data)
            if similar and form.confirm.data != "1":
                form.confirm.data = "1"  # the check step: shown once, then "Post my question" submits
            else:
                idempotency.claim(form)
                question = services.submit_question(event, author=current_user, body=form.body.data)
                idempotency.record(form, _event_url(event, question.anchor))
        if not done:
            _refuse(done.error, form)
            status = 422
        elif question is not None:
            flash("Your question is in. Others can now vote for it.", "success")
            return redirect(_event_url(event, question.anchor))
    elif form.errors:
        status = 422
    data_votes = set()
    if similar:
        data_votes = set(db.session.scalars(select(QuestionVote.question_id).where(
            QuestionVote.voter_id == current_user.id, QuestionVote.question_id.in_([q.id for q in similar]))))
    return render_template(
        "qa_events/ask.html", event=event, form=form, similar=similar, my_votes=data_votes,
        vote_form=forms.VoteForm(), asked=services.questions_asked(event, current_user),
        accepting=services.accepting_questions(event),
    ), status


@bp.route("/ask/<slug>/similar")
def similar(slug: str):
    """JSON: questions of this session that look like ``?q=`` (for the live hint)."""
    event = _load_event(slug)
    text = request.args.get("q", "")[: services.QUESTION_MAX]
    found = services.similar_questions(event, text) if len(text.strip()) >= 3 else []
    return jsonify(questions=[
        {"id": q.id, "text": q.body[:200], "votes": q.vote_count, "answered": q.status == "answered",
         "url": _event_url(event, q.anchor)}
        for q in found
    ])


@bp.route("/ask/<slug>/q/<id:question_id>/vote", methods=["POST"])
def vote(slug: str, question_id: int):
    """Vote for a question, or take the vote back (``vote=0``)."""
    event = _load_event(slug)
    question = _load_question(event, question_id)
    # Whether this member may vote at all; the service refuses their own question with its message.
    require(can_vote_qa_question, current_user)
    form = forms.VoteForm()
    if not form.validate_on_submit():
        abort(400, "Bad vote request.")
    voted = form.vote.data == "1"
    with action(quiet=True) as done:
        count = (services.vote if voted else services.unvote)(question, voter=current_user)
    if not done:
        _refuse(done.error)
    if wants_json():
        return jsonify(question=question.id, votes=count, voted=voted)
    flash("Your vote is counted." if voted else "Your vote is taken back.", "success")
    return redirect(request.form.get("back") == "ask" and url_for("qa_events.ask_question", slug=event.slug)
                    or _event_url(event, question.anchor), code=303)


@bp.route("/ask/<slug>/q/<id:question_id>/merge", methods=["POST"])
def merge(slug: str, question_id: int):
    """Merge a duplicate into another question (moderators; publicly logged)."""
    event = _load_event(slug)
    question = _load_question(event, question_id)
    require(can_moderate_qa_question, current_user, question)
    form = forms.MergeForm()
    require_valid(form)
    target = queries.get_question(event, form.into.data)
    if target is None:
        abort(400, f"There is no question #{form.into.data} in this session.")
    with action(quiet=True) as done:
        services.merge_questions(question, target, actor=current_user, reason=form.reason.data)
    if not done:
        _refuse(done.error)
    flash(f"Question #{question.id} is merged into #{target.id}.", "success")
    return redirect(_event_url(event, target.anchor), code=303)


@bp.route("/ask/<slug>/q/<id:question_id>/reject", methods=["POST"])
def reject(slug: str, question_id: int):
    """Decline an off-topic question with a public reason (moderators)."""
    event = _load_event(slug)
    question = _load_question(event, question_id)
    require(can_moderate_qa_question, current_user, question)
    form = forms.ReasonForm()
    require_valid(form)
    with action(quiet=True) as done:
        services.reject_question(question, actor=current_user, reason=form.reason.data)
    if not done:
        _refuse(done.error)
    flash(f"Question #{question.id} is declined.", "success")
    return redirect(_event_url(event, question.anchor), code=303)


@bp.route("/ask/<slug>/q/<id:question_id>/answer", methods=["GET", "POST"])
def answer(slug: str, question_id: int):
    """Answer a question, or post a follow-up note (the executive or staff)."""
    event = _load_event(slug)
    question = _load_question(event, question_id)
    require(can_answer_qa_question, current_user, event)
    form = forms.AnswerForm()
    if form.validate_on_submit():
        with action(quiet=True) as done:
            idempotency.claim(form)
            services.answer_question(question, author=current_user, body=form.body.data, kind=form.kind.data)
            idempotency.record(form, _event_url(event, question.anchor))
        if not done:
            _refuse(done.error, form)
        else:
            flash("The answer is published." if form.kind.data == "answer" else "The follow-up note is published.",
                  "success")
            return redirect(_event_url(event, question.anchor))
    return render_template("qa_events/answer.html", event=event, question=question, form=form, answer=None), (
        422 if form.errors else 200)


@bp.route("/ask/<slug>/a/<id:answer_id>/edit", methods=["GET", "POST"])
def edit_answer(slug: str, answer_id: int):
    """Change an answer or a follow-up note; a revision is kept."""
    event = _load_event(slug)
    ans = db.session.get(Answer, answer_id)
    if ans is None or ans.question.event_id != event.id:
        abort(404)
    require(can_edit_qa_answer, current_user, ans)
    form = forms.AnswerForm(obj=ans) if request.method == "GET" else forms.AnswerForm()
    if form.validate_on_submit():
        with action(quiet=True) as done:
            idempotency.claim(form)
            services.update_answer(ans, editor=current_user, body=form.body.data, kind=form.kind.data)
            idempotency.record(form, _event_url(event, ans.question.anchor))
        if not done:
            _refuse(done.error, form)
        else:
            flash("The answer is updated.", "success")
            return redirect(_event_url(event, ans.question.anchor))
    return render_template("qa_events/answer.html", event=event, question=ans.question, form=form, answer=ans), (
        422 if form.errors else 200)


@bp.route("/ask/<slug>/remind", methods=["POST"])
def remind(slug: str):
    """"Remind me": a notification when the session goes live."""
    event = _load_event(slug)
    require(can_subscribe_qa_event, current_user, event)
    if not EmptyForm().validate_on_submit():
        abort(400, "Bad request.")
    with action(quiet=True) as done:
        services.remind_me(event, user=current_user)
    if not done:
        _refuse(done.error)
    flash("We will notify you when the session goes live.", "success")
    return redirect(_event_url(event), code=303)


@bp.route("/ask/<slug>/transition", methods=["POST"])
def transition(slug: str):
    """Move a session to another state by hand (staff); the change is recorded."""
    event = _load_event(slug)
    require(can_transition_qa_event, current_user, event)
    form = forms.TransitionForm()
    if not form.validate_on_submit():
        abort(400, "Choose a state.")
    with action(quiet=True) as done:
        changed = services.transition(event, form.to_state.data, actor=current_user, reason=form.reason.data or "")
    if not done:
        _refuse(done.error)
    if changed:
        flash(f"The session is now {QA_STATE_LABELS[event.state].lower()}.", "success")
    return redirect(_event_url(event), code=303)
