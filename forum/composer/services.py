"""Screenshot uploads. Services flush; the caller commits. The re-encoded file is
written before the commit under a random name; only names with an ``uploads`` row
are ever served, so a rolled-back upload leaves an unreachable file at worst."""

from __future__ import annotations

import os
import re
import secrets
from datetime import timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select

from forum import images
from forum.actions import ActionError, PermissionDenied
from forum.extensions import db
from forum.models import Upload, User
from forum.models.base import utcnow
from forum.permissions import can_upload_image

#: Longest side of a stored screenshot, in pixels.
UPLOAD_SIDE = 2000
KEY_RE = re.compile(r"^[A-Za-z0-9_-]{22}$")


class UploadError(ActionError):
    """A refused upload (limits); the message is shown to the member."""


def upload_dir() -> Path:
    path = Path(current_app.instance_path) / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def upload_path(key: str) -> Path:
    if not KEY_RE.match(key):
        raise ValueError("bad upload key")
    return upload_dir() / f"{key}.webp"


def upload_url(upload: Upload) -> str:
    return f"/uploads/{upload.key}.webp"


def _check_limits(user: User) -> None:
    cfg = current_app.config
    since = utcnow() - timedelta(days=1)
    today = db.session.scalar(
        select(func.count(Upload.id)).where(Upload.user_id == user.id, Upload.created_at >= since)
    ) or 0
    if today >= cfg["UPLOADS_PER_DAY"]:
        raise UploadError(f"You have uploaded {today} images today, the most for one day. Try again tomorrow.",
                          field="image", status=429)
    kept = db.session.scalar(select(func.coalesce(func.sum(Upload.byte_size), 0)).where(Upload.user_id == user.id))
    if kept >= cfg["UPLOAD_QUOTA_BYTES"]:
        raise UploadError("You have used all your space for images.", field="image", status=413)


def save_upload(user: User, data: bytes) -> Upload:
    """Re-encode ``data`` (a screenshot) to WebP and keep it for ``user``."""
    if not can_upload_image(user):
        raise PermissionDenied("Sign in with a confirmed account to upload images.")
    _check_limits(user)
    cfg = current_app.config
    encoded = images.reencode(data, max_bytes=cfg["UPLOAD_MAX_BYTES"], max_pixels=cfg["UPLOAD_MAX_PIXELS"],
                              max_side=UPLOAD_SIDE)
    key = secrets.token_urlsafe(16)
    target = upload_path(key)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)  # never executable
    with os.fdopen(fd, "wb") as fh:
        fh.write(encoded.data)
    upload = Upload(key=key, user_id=user.id, byte_size=len(encoded.data), width=encoded.width,
                    height=encoded.height, created_at=utcnow())
    db.session.add(upload)
    db.session.flush()
    return upload
