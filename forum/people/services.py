"""Avatar writes. Services flush; the caller commits. The file is written before the
commit (an orphan file if the commit fails is harmless: only the key in the row is
ever served) and the replaced file is deleted after it."""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

from flask import current_app

from forum import images
from forum.actions import PermissionDenied
from forum.aftercommit import after_commit
from forum.extensions import db
from forum.models import User
from forum.permissions import can_edit_settings

AVATAR_SIDE = 256
KEY_RE = re.compile(r"^[A-Za-z0-9_-]{22}$")


def avatar_dir() -> Path:
    path = Path(current_app.instance_path) / "avatars"
    path.mkdir(parents=True, exist_ok=True)
    return path


def avatar_path(key: str) -> Path:
    if not KEY_RE.match(key):  # never a path from outside
        raise ValueError("bad avatar key")
    return avatar_dir() / f"{key}.webp"


def _write_new_file(data: bytes) -> str:
    key = secrets.token_urlsafe(16)
    target = avatar_path(key)
    tmp = target.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)  # not executable
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, target)
    return key


def _delete_after_commit(key: str | None) -> None:
    if key:
        path = avatar_path(key)
        after_commit(lambda: path.unlink(missing_ok=True))


def set_avatar(user: User, data: bytes) -> str:
    """Re-encode ``data`` as the member's avatar (a 256 px square WebP, no metadata)."""
    if not can_edit_settings(user):
        raise PermissionDenied("Sign in to change your picture.")
    cfg = current_app.config
    encoded = images.reencode(data, max_bytes=cfg["AVATAR_MAX_BYTES"], max_pixels=cfg["UPLOAD_MAX_PIXELS"],
                              max_side=AVATAR_SIDE, square=True)
    old = user.avatar_key
    user.avatar_key = _write_new_file(encoded.data)
    _delete_after_commit(old)
    db.session.flush()
    return user.avatar_key


def remove_avatar(user: User) -> bool:
    """Back to generated initials. Returns whether there was a picture."""
    if not can_edit_settings(user):
        raise PermissionDenied("Sign in to change your picture.")
    if user.avatar_key is None:
        return False
    _delete_after_commit(user.avatar_key)
    user.avatar_key = None
    db.session.flush()
    return True
