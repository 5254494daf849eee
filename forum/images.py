"""Uploaded images, made safe to serve: the only Pillow import (core).

Every upload is decoded and re-encoded to WebP, so what is stored is pixels only: no
EXIF (GPS positions), no ICC or XMP, no bytes appended after the image, nothing a
browser could sniff as HTML or script. The declared size is checked before any pixel
is decoded (a few bytes of PNG can declare gigapixels: a decompression bomb).
"""

from __future__ import annotations

import io
import re
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from forum.actions import ActionError

#: What we decode. SVG is not an image to Pillow (and would be script to a browser).
ACCEPTED_FORMATS = frozenset({"PNG", "JPEG", "GIF", "WEBP"})
#: Markup or code inside an "image" file: a polyglot meant to be sniffed as HTML.
_POLYGLOT = re.compile(rb"<\s*(script|html|svg|body|iframe|object|\?php)|<!doctype", re.IGNORECASE)


class ImageRejected(ActionError):
    """The file is not an image we accept; the message says why (a 4xx)."""

    status = 400


class ImageTooLarge(ImageRejected):
    status = 413


@dataclass(frozen=True)
class Encoded:
    data: bytes
    width: int
    height: int


def reencode(data: bytes, *, max_bytes: int, max_pixels: int, max_side: int, square: bool = False) -> Encoded:
    """Decode ``data`` and return it re-encoded as WebP, at most ``max_side`` pixels a
    side (a centred square when ``square``). Raises :class:`ImageRejected`."""
    if not data:
        raise ImageRejected("Choose an image file to upload.")
    if len(data) > max_bytes:
        raise ImageTooLarge(f"That file is too large: images are at most {max_bytes // (1024 * 1024)} MB.")
    if _POLYGLOT.search(data):
        raise ImageRejected("That file contains markup or code, not only an image.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                if img.format not in ACCEPTED_FORMATS:
                    raise ImageRejected("Upload a PNG, JPEG, GIF or WebP image.")
                width, height = img.size
                if width < 1 or height < 1 or width * height > max_pixels:
                    raise ImageTooLarge(f"That image has too many pixels (at most {max_pixels:,}).")
                img.seek(0)  # an animation keeps its first frame only
                img.load()
                img = ImageOps.exif_transpose(img)
                img = img.convert("RGBA" if _has_alpha(img) else "RGB")
    except ImageRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageTooLarge(f"That image has too many pixels (at most {max_pixels:,}).") from None
    except UnidentifiedImageError:
        raise ImageRejected("That file is not an image we can read: upload a PNG, JPEG, GIF or WebP.") from None
    except (OSError, SyntaxError, ValueError, EOFError):  # truncated or corrupt data
        raise ImageRejected("That image is damaged or incomplete: try another file.") from None
    if square:
        img = ImageOps.fit(img, (max_side, max_side), Image.Resampling.LANCZOS)
    else:
        img.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    img.save(out, format="WEBP", quality=85, method=4)  # no exif= / icc_profile=: none is written
    return Encoded(out.getvalue(), img.width, img.height)


def _has_alpha(img: Image.Image) -> bool:
    return img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info)


#: The headers an uploaded image is served with: never sniffed, never run, never a page.
IMAGE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Content-Disposition": "inline",
    "Cross-Origin-Resource-Policy": "same-origin",
}


def image_response(path, *, max_age: int = 31_536_000):
    """Serve a stored (re-encoded) WebP file with :data:`IMAGE_HEADERS`; 404 if missing.
    Stored names are random and never reused, so the file may be cached for long."""
    from flask import abort, make_response, request

    try:
        data = path.read_bytes()  # small (re-encoded, bounded): no file handle left open
    except FileNotFoundError:
        abort(404)
    resp = make_response(data)
    resp.headers.update(IMAGE_HEADERS)
    resp.headers["Content-Type"] = "image/webp"
    resp.cache_control.public = True
    resp.cache_control.max_age = max_age
    resp.set_etag(path.stem)
    return resp.make_conditional(request)
