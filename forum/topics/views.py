"""Home, board, topic, reply, permalink, pin and the edit of a post or title."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from forum import idempotency, listcache, personal_data, unread, visitorcache
from forum.actions import action
from forum.extensions import db
from forum.models import Post
from forum.models.cases import ISSUE_LABELS
from forum.pagecache import reader_page
from forum.permissions import can_create_topic, can_pin_topic, can_quote_post, can_reply_to_topic, require
from forum.search import queries as search_queries
from forum.topics import bp, forms, listing, queries, reading, services, viewcounts
from forum.topics.quoting import quote_markdown
from forum.topics.ratelimit import posting_limit
from forum.web import MAX_ID, page_arg


def _topic_url(topic, **kw):
    return url_for("topics.view_topic", topic_id=topic.id, slug=topic.slug, **kw)


def _reply_target(raw):
    """The post a reply answers: ``None`` for none, 400 when not an ASCII post
    number, 404 when there is no such post."""
    raw = str(raw)
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        abort(400, "That reply target is not a post number.")
    post_id = int(raw)
    parent = db.session.get(Post, post_id) if post_id <= MAX_ID else None
    if parent is None:
        abort(404)
    return parent


def _load_topic_or_404(topic_id: int):
    topic = queries.get_topic(topic_id)
    if topic is None:
        abort(404)
    return topic


def _load_category_or_404(slug: str):
    category = queries.category_by_slug(slug[:80])
    if category is None:
        abort(404)
    return category


@bp.route("/")
@reader_page
def index():
    """Home: ask a question, network status, the boards, popular solved topics, the latest activity."""

    def lists():
        return dict(categories=queries.categories_with_counts(), recent=queries.recent_topics(),
                    solved=queries.popular_solved_topics(), new_counts=reading.board_new_counts(current_user))

    if visitorcache.enabled():
        # The three lists are the same for every visitor and come from forum.listcache: their
        # rendered HTML is kept under the lists' generation, no longer than the lists themselves
        # (a write renews the generation: at once in its worker, in every worker with Redis).
        # The network status above them is rendered per request.
        parts = visitorcache.render_cached(
            visitorcache.key("home", listcache.generation()),
            lambda: render_template("topics/_home_lists.html", **lists()),
            timeout=current_app.config["LIST_CACHE_SECONDS"])
        return render_template("topics/index.html", body=visitorcache.fill(parts))
    return render_template("topics/index.html", **lists())


@bp.route("/c/<slug>")
@reader_page
def view_category(slug: str):
    """A board's topics, pinned first, then by last activity."""
    category, generation = queries.category_for_page(slug[:80])
    if category is None:
        abort(404)
    status = request.args.get("status", "all")
    if status not in queries.STATUSES:
        abort(400, "Filter by status: all, unanswered, unresolved or resolved.")
    label = request.args.get("label") or None
    if label is not None and label not in ISSUE_LABELS:
        abort(400, "Filter by issue label: " + ", ".join(ISSUE_LABELS) + ".")
    page_no = page_arg()

    def body():
        page = queries.category_topics(category, page_no, status, label)
        if page.page > page.pages:
            abort(404)
        return dict(category=category, page=page, status=status, label=label)

    if visitorcache.enabled():  # the same body for every visitor: rendered once per version
        parts = visitorcache.render_cached(
            visitorcache.key("board", category.id, category.page_version, generation, page_no, status, label),
            lambda: render_template("topics/_category_content.html", **body()))
        return render_template("topics/view_category.html", category=category, status=status, label=label,
                               body=visitorcache.fill(parts))
    return render_template("topics/view_category.html", **body())


@bp.route("/c/<slug>/new", methods=["GET", "POST"])
@posting_limit
def new_topic(slug: str):
    """Start a help topic in a board."""
    category = _load_category_or_404(slug)
    require(can_create_topic, current_user, category)
    form = forms.NewTopicForm()
    if request.method == "GET" and request.args.get("title"):
        form.title.data = request.args["title"][:150]
    if request.method == "POST" and "check_similar" in request.form:  # search: the no-JavaScript button
        similar, _ = search_queries.similar_items(form.title.data or "")
        return render_template("topics/new_topic.html", category=category, form=form, personal_data=None,
                               similar=similar, similar_checked=True)
    guard = personal_data.review_submission(form.title.data, form.body.data)
    if form.validate_on_submit() and not guard.held:
        with action(form, field="body") as done:
            idempotency.claim(form)
            topic = services.create_topic(category, author=current_user, title=form.title.data, body=form.body.data)
            idempotency.record(form, _topic_url(topic))
        if done:
            flash("Your topic is posted.", "success")
            return redirect(_topic_url(topic))
    return render_template(
        "topics/new_topic.html", category=category, form=form, personal_data=guard
    ), 422 if form.errors else 200


@bp.route("/t/<id:topic_id>")
@bp.route("/t/<id:topic_id>-<slug>")
@reader_page
def view_topic(topic_id: int, slug: str | None = None):
    """A topic with one page of its threaded replies."""
    topic, generation = queries.topic_for_page(topic_id)
    if topic is None:
        abort(404)
    if topic.merged_into_id is not None:  # merged by a moderator (forum.moderation)
        return redirect(url_for("topics.view_topic", topic_id=topic.merged_into_id), 301)
    page_no = page_arg()
    if visitorcache.enabled():  # the same body for every visitor: rendered once per version
        parts = visitorcache.render_cached(
            visitorcache.key("topic", topic.id, topic.page_version, generation, page_no),
            lambda: render_template("topics/_topic_content.html", **_topic_body(topic, page_no)))
        viewcounts.count_view(topic.id)  # buffered: no write on this request's path
        return render_template("topics/view_topic.html", topic=topic,
                               body=visitorcache.fill(parts, view_count=topic.view_count))
    context = _topic_body(topic, page_no)
    viewcounts.count_view(topic.id)
    return render_template("topics/view_topic.html", **context)


def _topic_body(topic, page_no: int) -> dict:
    """What the topic page's body shows (404 past the last page)."""
    first, page = queries.topic_page(topic, page_no)
    if page_no > page.pages:
        abort(404)
    unread.viewing_topic(topic.id)  # its notifications are read now (written after the page)
    shown = ([first] if first else []) + [entry.post for entry in page.items]
    queries.attach_topic(shown, topic)  # the per-post permission checks read post.topic
    read_mark = reading.viewing_topic(topic, shown, more_pages=page_no < page.pages)  # position moves after the page
    return dict(
        topic=topic,
        read_mark=read_mark,
        first=first,
        page=page,
        # Forms (and their CSRF tokens, which start a session) only for viewers who
        # can use them: a visitor's page sets no cookie and may be cached publicly.
        reply_form=forms.ReplyForm() if can_reply_to_topic(current_user, topic) else None,
        pin_form=forms.PinForm() if can_pin_topic(current_user, topic) else None,
    )


@bp.route("/t/<id:topic_id>/reply", methods=["GET", "POST"])
@posting_limit
def reply(topic_id: int):
    """Reply to a topic, or to one of its posts (``?to=<post id>``)."""
    topic = _load_topic_or_404(topic_id)
    require(can_reply_to_topic, current_user, topic)
    form = forms.ReplyForm()
    raw_parent = form.parent_id.data if request.method == "POST" else request.args.get("to")
    parent = None
    if raw_parent:
        parent = _reply_target(raw_parent)
        if parent.topic_id != topic.id:
            abort(400, "You can only reply to a post of this topic.")
        form.parent_id.data = str(parent.id)
        if request.method == "GET" and request.args.get("quote") and can_quote_post(current_user, parent):
            form.body.data = quote_markdown(parent)  # the Quote link, without JavaScript
    guard = personal_data.review_submission(form.body.data)
    if form.validate_on_submit() and not guard.held:
        with action(form, field="body") as done:
            idempotency.claim(form)
            post = services.reply_to_topic(topic, author=current_user, body=form.body.data, parent=parent)
            idempotency.record(form, url_for("topics.permalink", post_id=post.id, posted=1))
        if done:  # also shown in the new post itself (?posted), where the reader lands: on screen
            flash("Your reply is posted.", "success")
            return redirect(url_for("topics.permalink", post_id=post.id, posted=1))
    return render_template(
        "topics/reply.html", topic=topic, parent=parent, form=form, personal_data=guard
    ), 422 if form.errors else 200


@bp.route("/p/<id:post_id>")
def permalink(post_id: int):
    """Redirect to a post, on the topic page that shows it."""
    post = db.get_or_404(Post, post_id)
    page = queries.page_of_post(post)
    kw = {"page": page} if page > 1 else {}
    if request.args.get("posted"):  # just posted: the page highlights it and confirms
        kw["posted"] = post.id
    return redirect(_topic_url(post.topic, _anchor=post.anchor, **kw))


@bp.route("/t/<id:topic_id>/pin", methods=["POST"])
def pin_topic(topic_id: int):
    """Pin or unpin a topic (staff)."""
    topic = _load_topic_or_404(topic_id)
    require(can_pin_topic, current_user, topic)
    form = forms.PinForm()
    if not form.validate_on_submit():
        abort(400, "Bad pin request.")
    with action() as done:
        changed = services.set_pinned(topic, form.pinned.data == "1", actor=current_user, reason=form.reason.data)
    if done and changed:
        flash("Topic pinned." if topic.is_pinned else "Topic unpinned.", "success")
    return redirect(_topic_url(topic))


@bp.app_template_global("topic_list_info")
def topic_list_info(topics, people=True):
    """For any topic list: kudos and the viewer's new/unread marks, batched (forum.topics.listing)."""
    return listing.list_info(topics, current_user, people=people)

