"""People fixtures: the topic fixtures, and image files made with Pillow."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from tests.topics.conftest import (  # noqa: F401 - fixtures shared with the topic tests
    _fast_password_hashing,
    build,
    category,
    post_form,
    signed_in,
)


def image_bytes(fmt: str = "JPEG", size=(640, 480), color=(200, 30, 30), **save) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format=fmt, **save)
    return out.getvalue()


def jpeg_with_exif() -> bytes:
    """A photo carrying GPS-like EXIF (camera make and a GPS IFD)."""
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif[0x8825] = {1: "N", 2: (51.0, 30.0, 0.0)}  # GPSInfo
    return image_bytes("JPEG", exif=exif.tobytes())


@pytest.fixture
def upload_form(client):
    """POST a multipart form with the CSRF token of ``token_from``."""
    from tests.conftest import csrf_token

    def _post(path: str, field: str, data: bytes | None, *, filename: str = "picture.jpg", token_from: str = "/"):
        form = {"csrf_token": csrf_token(client, token_from)}
        if data is not None:
            form[field] = (io.BytesIO(data), filename)
        return client.post(path, data=form, content_type="multipart/form-data")

    return _post
