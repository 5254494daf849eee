"""The edit of a post's text and, for the opening post, of its topic's title: the author's
own edit, and a moderator's (with a reason) on the same page. Both go through
:func:`forum.topics.services.edit_post` and :func:`~forum.topics.services.edit_topic_title`,
the one write path for member text."""

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from forum import idempotency, personal_data
from forum.actions import action
from forum.extensions import db
from forum.models import Post
from forum.permissions import can_edit_post, require
from forum.topics import bp, forms, services


def _review(form: forms.EditPostForm, post: Post) -> personal_data.Review:
    """The author's own edit is a public post like any other: the same personal-data
    guard as a new topic or a reply. A moderator editing someone else's post is usually
    taking personal data out, and has the staff-only history box for it."""
    if post.author_id != current_user.id:
        return personal_data.Review()
    topic = post.topic
    return personal_data.review_submission(
        form.title.data if post.is_first else None, form.body.data,
        already=(topic.title if post.is_first else None, post.body),
    )


def _save(form: forms.EditPostForm, post: Post) -> None:
    reason = form.reason.data
    if post.is_first and form.title.data:
        services.edit_topic_title(post.topic, editor=current_user, title=form.title.data, reason=reason,
                                  base_revision=int(form.base_title_revision.data))
    services.edit_post(post, editor=current_user, body=form.body.data, reason=reason,
                       base_revision=int(form.base_revision.data), old_text_staff_only=form.personal_data.data)


@bp.route("/p/<id:post_id>/edit", methods=["GET", "POST"])
def edit_post(post_id: int):
    """Edit a post (and, for the opening post, the topic title)."""
    post = db.get_or_404(Post, post_id)
    require(can_edit_post, current_user, post)
    form = forms.EditPostForm()
    guard = _review(form, post)
    if request.method == "GET":
        form.body.data = post.body
        form.title.data = post.topic.title
        form.base_revision.data = str(post.revision_count)
        form.base_title_revision.data = str(post.topic.title_revision_count)
    elif form.validate_on_submit() and not guard.held:
        # A unique revision number taken by a concurrent save is a stale edit too.
        with action(form, field="body", integrity_message=services.STALE_EDIT_MESSAGE) as done:
            idempotency.claim(form)
            _save(form, post)
            idempotency.record(form, url_for("topics.permalink", post_id=post.id))
        if done:
            flash("Your changes are saved.", "success")
            return redirect(url_for("topics.permalink", post_id=post.id))
    return render_template(
        "topics/edit_post.html", post=post, topic=post.topic, form=form, personal_data=guard
    ), 422 if form.errors else 200
