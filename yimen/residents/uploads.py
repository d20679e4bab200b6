"""Residents' uploads, judged by what the bytes are, never by the name or the browser's word.

Accepted: photos (JPEG, PNG, GIF, WebP, HEIC), PDF files and recordings (MP3, M4A, AAC, AMR, WAV,
Ogg). Photos other than HEIC must decode with Pillow; Pillow cannot read HEIC, so HEIC is
accepted on its signature alone and is never decoded on the server. Many Android recorders write
M4A under the generic MP4 brands (`mp42`, `isom`), which read as video: such a file is a recording
when its tracks are sound only (`_mp4_sound_only`).
"""

import math
import os
import re
import unicodedata
from dataclasses import dataclass
from io import BytesIO

import filetype
from django.conf import settings
from django.utils.translation import gettext as _
from PIL import Image

from yimen.common.errors import InvalidInput, TooLarge

from .throttle import throttle_spend_bytes

# What filetype reports → (content type we store, extension, kind, Pillow format or None).
_ACCEPTED = {
    "image/jpeg": ("image/jpeg", "jpg", "image", "JPEG"),
    "image/png": ("image/png", "png", "image", "PNG"),
    "image/apng": ("image/png", "png", "image", "PNG"),  # an animated PNG is still a PNG
    "image/gif": ("image/gif", "gif", "image", "GIF"),
    "image/webp": ("image/webp", "webp", "image", "WEBP"),
    "image/heic": ("image/heic", "heic", "image", None),
    "application/pdf": ("application/pdf", "pdf", "pdf", None),
    "audio/mpeg": ("audio/mpeg", "mp3", "audio", None),
    "audio/mp4": ("audio/mp4", "m4a", "audio", None),
    "audio/aac": ("audio/aac", "aac", "audio", None),
    "audio/amr": ("audio/amr", "amr", "audio", None),
    "audio/x-wav": ("audio/wav", "wav", "audio", None),
    "audio/ogg": ("audio/ogg", "ogg", "audio", None),
}
_DEFAULT_STEM = {"image": "照片", "pdf": "文件", "audio": "录音"}
_MAX_NAME = 80
_MB = 1024 * 1024


@dataclass
class CheckedUpload:
    name: str
    content: bytes
    content_type: str
    kind: str  # "image" | "pdf" | "audio"


def check_upload(*, name: str, content: bytes) -> CheckedUpload:
    """Accept one file or raise TooLarge / InvalidInput(field="files") naming it."""
    base = _clean_name(name)
    shown = (base if len(base) <= _MAX_NAME else base[: _MAX_NAME - 1] + "…") or _("未命名文件")
    limit = settings.YIMEN_RESIDENT_MAX_UPLOAD_BYTES
    if len(content) > limit:
        raise TooLarge(
            _("文件“%(name)s”有%(size)sMB，超过了%(limit)sMB的上限。请压缩后再传，或到窗口提交。")
            % {"name": shown, "size": _mb(len(content), up=True), "limit": _mb(limit)},
            field="files",
        )
    if not content:
        raise InvalidInput(_("文件“%(name)s”是空的，没有上传。") % {"name": shown}, field="files")
    guessed = filetype.guess(content)
    mime = guessed.mime if guessed else None
    if mime == "video/mp4" and _mp4_sound_only(content):
        mime = "audio/mp4"
    accepted = _ACCEPTED.get(mime) if mime else None
    if accepted is None or (accepted[2] == "pdf" and not content.startswith(b"%PDF-")):
        raise InvalidInput(
            _("文件“%(name)s”不是照片、PDF或录音，没有上传。只能上传照片、PDF文件或录音。") % {"name": shown},
            field="files",
        )
    content_type, extension, kind, pillow_format = accepted
    if pillow_format:
        _check_image(content, pillow_format, shown)
    stem = os.path.splitext(base)[0].strip(" .") or _DEFAULT_STEM[kind]
    stored = f"{stem[: _MAX_NAME - len(extension) - 1]}.{extension}"
    return CheckedUpload(name=stored, content=content, content_type=content_type, kind=kind)


def upload_budget_spend(*, name: str, size: int, address: str, session) -> None:
    """Count an upload's bytes against the per-session and per-address budgets (per hour by default),
    before it is read or decoded; raise RateLimited(field="files") naming the file when over.

    A refused file still costs nothing; a file that is then refused for its content has cost the
    server its reading and decoding, so it counts."""
    if session.session_key is None:
        session.save()  # an anonymous first visit: the budget needs the session's key now
    message = _("文件“%(name)s”没有上传：一段时间内上传的文件太多了") % {"name": _clean_name(name) or _("未命名文件")}
    throttle_spend_bytes(scope="upload-session", key=session.session_key, size=size, message=message, field="files",
                         rate=settings.YIMEN_RATE_UPLOAD_BYTES_PER_SESSION)
    throttle_spend_bytes(scope="upload-address", key=address, size=size, message=message, field="files",
                         rate=settings.YIMEN_RATE_UPLOAD_BYTES_PER_ADDRESS)


# An MP4 track's handler box: "hdlr", version and flags (4 bytes), pre_defined (4), handler type.
_MP4_HANDLER = re.compile(rb"hdlr[\x00-\xff]{8}(soun|vide)")


def _mp4_sound_only(content: bytes) -> bool:
    """An MP4 container whose tracks are all sound: a recording, whatever brand its writer used."""
    handlers = set(_MP4_HANDLER.findall(content))
    return handlers == {b"soun"}


# Memory one decoded pixel takes in Pillow; multi-band modes (RGB too) are stored in 4 bytes.
_BYTES_PER_PIXEL = {"1": 1, "L": 1, "P": 1, "I;16": 2, "I;16L": 2, "I;16B": 2, "I;16N": 2, "LA": 4, "PA": 4}


class _TooManyPixels(Exception):
    pass


def _check_image(content: bytes, pillow_format: str, shown: str) -> None:
    """Decode the whole picture: a truncated or forged photo fails here, not in a clerk's viewer.

    First the size the header declares, before anything is decoded (Image.open is lazy): a small
    PNG can declare 9,400×9,400 pixels and cost ~300 MB and seconds to decode, several at once from
    an anonymous draft. Budgets: YIMEN_RESIDENT_MAX_IMAGE_PIXELS and YIMEN_RESIDENT_IMAGE_MEMORY_BYTES,
    far below Pillow's own bomb limit (~179 megapixels)."""
    try:
        with Image.open(BytesIO(content), formats=[pillow_format]) as image:
            _check_decoded_size(image)
            image.verify()
        # verify() leaves the image unusable, and does not decode pixels: reopen and load.
        with Image.open(BytesIO(content), formats=[pillow_format]) as image:
            image.load()
    except (_TooManyPixels, Image.DecompressionBombError):
        raise InvalidInput(
            _("照片“%(name)s”的尺寸太大（超过%(limit)s万像素），请缩小后再传；手机上截一张图或用相册的“调整大小”即可。")
            % {"name": shown, "limit": max(1, _pixel_limit() // 10_000)},
            field="files",
        ) from None
    except Exception:  # Pillow raises many kinds of error on broken files; all mean "cannot open"
        raise InvalidInput(
            _("照片“%(name)s”打不开，可能已损坏或没有传完整，请重新选择。") % {"name": shown}, field="files"
        ) from None


def _pixel_limit() -> int:
    # Pillow's own limit too, should a deployment have lowered it.
    return min(settings.YIMEN_RESIDENT_MAX_IMAGE_PIXELS, Image.MAX_IMAGE_PIXELS or settings.YIMEN_RESIDENT_MAX_IMAGE_PIXELS)


def _check_decoded_size(image: Image.Image) -> None:
    pixels = image.width * image.height
    decoded = pixels * _BYTES_PER_PIXEL.get(image.mode, 4)
    if pixels > _pixel_limit() or decoded > settings.YIMEN_RESIDENT_IMAGE_MEMORY_BYTES:
        raise _TooManyPixels


def _clean_name(name: str) -> str:
    """The last path part, without control or invisible characters."""
    base = re.split(r"[\\/]", name or "")[-1]
    # Category C: control characters, and format characters such as the right-to-left override
    # that can make "exe.jpg" display as "gpj.exe".
    base = "".join(ch for ch in base if not unicodedata.category(ch).startswith("C"))
    return base.strip()


def _mb(size: int, *, up: bool = False) -> str:
    tenths = math.ceil(size * 10 / _MB) if up else round(size * 10 / _MB)
    return f"{tenths / 10:.1f}".removesuffix(".0")
