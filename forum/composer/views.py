"""The composer's endpoints: preview, mention suggestions, quote text, uploads."""

from flask import abort, current_app, jsonify, make_response, render_template, request, url_for
from flask_login import current_user

from forum import images
from forum.actions import action, wants_json
from forum.composer import bp, forms, queries, services
from forum.extensions import db
from forum.models import Post, Upload
from forum.permissions import can_preview_post, can_quote_post, can_suggest_mentions, can_upload_image, require
from forum.topics import services as topic_services
from forum.topics.quoting import quote_markdown

_MENTION_PREFIX_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_.-")


def _is_navigation() -> bool:
    """A browser's own form submission (no JavaScript), not a script's fetch."""
    return request.headers.get("Sec-Fetch-Mode") == "navigate"


@bp.route("/composer/preview", methods=["POST"])
def preview():
    """The text rendered exactly as posting would store it (HTML; a page without JavaScript)."""
    require(can_preview_post, current_user)
    form = forms.PreviewForm()
    if not form.validate_on_submit():
        abort(400, "The form expired: reload the page and try again.")
    try:
        _, html = topic_services.render_body(form.body.data or "")
    except topic_services.TopicError as exc:
        if _is_navigation():
            return render_template("composer/preview.html", html=None, error=exc.message), 400
        return make_response(exc.message, 400, {"Content-Type": "text/plain; charset=utf-8"})
    if _is_navigation():
        return render_template("composer/preview.html", html=html, error=None)
    resp = make_response(html, 200, {"Content-Type": "text/html; charset=utf-8"})
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.route("/composer/mentions")
def mention_suggestions():
    """Members whose username starts with ``q`` (JSON, signed-in members only; names only)."""
    require(can_suggest_mentions, current_user)
    raw = request.args.get("q", "").removeprefix("@")
    if not 1 <= len(raw) <= 30:
        return jsonify({"error": "Type 1 to 30 characters of a username."}), 400
    if not all(ch.isalnum() or ch in "_.-" for ch in raw) or not raw.isprintable():
        return jsonify({"error": "Usernames have letters, digits, '_', '.' and '-' only."}), 400
    resp = jsonify({"q": raw, "users": queries.suggest_usernames(raw)})
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


@bp.route("/p/<id:post_id>/quote")
def quote(post_id: int):
    """A post's text as a Markdown quote, for the composer to insert (plain text)."""
    post = db.get_or_404(Post, post_id)
    require(can_quote_post, current_user, post)
    resp = make_response(quote_markdown(post), 200, {"Content-Type": "text/plain; charset=utf-8"})
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


def _upload_page(form, upload=None, status=200):
    return render_template("composer/upload.html", form=form, upload=upload,
                           url=services.upload_url(upload) if upload else None,
                           max_mb=current_app.config["UPLOAD_MAX_BYTES"] // (1024 * 1024)), status


@bp.route("/uploads/new", methods=["GET", "POST"])
def upload_image():
    """Upload a screenshot: JSON ``{url, markdown}`` for the composer, a page without JavaScript."""
    require(can_upload_image, current_user)
    limit = current_app.config["UPLOAD_MAX_BYTES"]
    request.max_content_length = limit + 64 * 1024
    form = forms.UploadForm()
    if request.method == "GET":
        return _upload_page(form)
    if not form.validate_on_submit():
        if wants_json():
            return jsonify({"error": "The form expired: reload the page and try again.", "status": 400}), 400
        form.image.errors = ["The form expired: reload the page and try again."]
        return _upload_page(form, status=400)
    data = form.image.data.read(limit + 1) if form.image.data else b""
    with action(form, field="image") as done:
        upload = services.save_upload(current_user, data)
    if not done:  # JSON requests were answered by action() with the error and its status
        return _upload_page(form, status=done.error.status)
    url = services.upload_url(upload)
    markdown = f"![screenshot]({url})"
    if wants_json():
        return jsonify({"url": url, "markdown": markdown, "width": upload.width, "height": upload.height}), 201
    return _upload_page(forms.UploadForm(formdata=None), upload, 201)


@bp.route("/uploads/<key>.webp")
def upload_file(key: str):
    """An uploaded screenshot (re-encoded WebP, served as an image only)."""
    if not services.KEY_RE.match(key):
        abort(404)
    if db.session.query(Upload.id).filter_by(key=key).first() is None:
        abort(404)
    return images.image_response(services.upload_path(key))


@bp.app_template_global("composer_urls")
def composer_urls() -> dict[str, str]:
    """Where the composer's script sends previews, mention lookups and uploads."""
    return {"preview": url_for("composer.preview"), "mentions": url_for("composer.mention_suggestions"),
            "upload": url_for("composer.upload_image")}
