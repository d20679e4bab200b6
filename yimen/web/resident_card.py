"""The card a resident saves after registering: the matter's number, its query code and a QR code of
the tracking address, drawn as a PNG with Pillow.

Chinese words need a CJK font; a server without one draws ASCII labels with Pillow's own font (the
number and the code are ASCII either way), so the picture never fails.
"""

import functools
import io
import os
import shutil
import subprocess

import segno
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageDraw, ImageFont


def group_code(code: str) -> str:
    """A query code in groups of four ("YTRP W3ST F955 …"), easier to copy by hand; the look-up
    ignores the spaces."""
    return " ".join(code[i:i + 4] for i in range(0, len(code), 4))


_CARD_WIDTH, _CARD_MARGIN = 720, 40
_INK, _MUTED, _BRAND, _WARN = "#1f2329", "#5c626b", "#154a96", "#b3261e"
_CARD_WORDS_ZH = {"title": _("解纷码"), "number": _("事项编号"), "code": _("查询码"), "scan": _("扫码查询办理进度"),
                  "private": _("查询码相当于密码，请勿告诉他人")}
_CARD_WORDS_ASCII = {"title": "Yimen", "number": "No.", "code": "Code", "scan": "Scan to track", "private": ""}
# Where Chinese fonts usually are (Debian/Ubuntu packages fonts-noto-cjk, fonts-wqy-*); fc-list next.
_CJK_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
)


def card_png(*, number: str, query_code: str, track_url: str, centre_name: str) -> bytes:
    """The number, the query code and a QR code of the tracking address, as a PNG to keep.

    Chinese words need a CJK font; a server without one draws ASCII labels with Pillow's own font
    (the number and the code are ASCII either way), so the picture never fails.
    """
    font_for, chinese = _card_fonts()
    words = {key: str(text) for key, text in _CARD_WORDS_ZH.items()} if chinese else _CARD_WORDS_ASCII
    # (text, size, colour, space after); a label sits close to its value.
    rows = [
        (centre_name if chinese else words["title"], 30, _INK, 28),
        (words["number"], 24, _MUTED, 8), (number, 40, _INK, 22),
        (words["code"], 24, _MUTED, 8), (group_code(query_code), 52, _BRAND, 24),
        _qr_image(track_url),
        (words["scan"], 24, _MUTED, 12), (words["private"], 24, _WARN, 0),
    ]
    measure = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    placed, y = [], _CARD_MARGIN
    for row in rows:
        if isinstance(row, Image.Image):
            placed.append((row, y))
            y += row.height + 16
        elif row[0]:
            text, size, colour, after = row
            font = _fit(measure, text, font_for, size)
            left, top, right, bottom = measure.textbbox((0, 0), text, font=font)
            placed.append(((text, font, colour, left, right - left, top), y))
            y += bottom - top + after
    card = Image.new("RGB", (_CARD_WIDTH, y + _CARD_MARGIN), "white")
    draw = ImageDraw.Draw(card)
    for item, top_y in placed:
        if isinstance(item, Image.Image):
            card.paste(item, ((_CARD_WIDTH - item.width) // 2, top_y))
        else:
            text, font, colour, left, width, top = item
            draw.text(((_CARD_WIDTH - width) // 2 - left, top_y - top), text, font=font, fill=colour)
    buffer = io.BytesIO()
    card.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def _qr_image(text: str) -> Image.Image:
    qr = segno.make(text, error="m")
    modules = qr.symbol_size(scale=1, border=2)[0]
    buffer = io.BytesIO()
    qr.save(buffer, kind="png", scale=max(2, min(8, (_CARD_WIDTH - 2 * _CARD_MARGIN) // modules)), border=2)
    buffer.seek(0)
    return Image.open(buffer).convert("RGB")


def _fit(measure, text: str, font_for, size: int):
    """The largest font up to `size` in which `text` fits the card's width."""
    while True:
        font = font_for(size)
        if size <= 12 or measure.textlength(text, font=font) <= _CARD_WIDTH - 2 * _CARD_MARGIN:
            return font
        size -= 2


def _card_fonts():
    """(size → font, whether it draws Chinese)."""
    path = _cjk_font_path()
    if path:
        try:
            _truetype(path, 12)
            return functools.partial(_truetype, path), True
        except OSError:
            pass  # a broken font file: fall back like a server without one
    return _default_font, False


@functools.lru_cache(maxsize=16)
def _truetype(path: str, size: int):
    # Noto's CJK collections hold Japanese, Korean, Simplified and Traditional Chinese faces, in
    # that order; the third draws characters the way mainland readers expect.
    index = 2 if os.path.basename(path).startswith("NotoSansCJK") else 0
    return ImageFont.truetype(path, size, index=index)


def _default_font(size: int):
    try:
        return ImageFont.load_default(size=size)
    except Exception:  # Pillow built without FreeType: the fixed-size bitmap font still draws ASCII
        return ImageFont.load_default()


@functools.cache
def _cjk_font_path() -> str | None:
    """A font file that can draw Chinese, looked up once per process; None when there is none."""
    for candidate in _CJK_FONTS:
        if os.path.isfile(candidate):
            return candidate
    fc_list = shutil.which("fc-list")
    if not fc_list:
        return None
    try:
        # fc-match would always answer with *some* font; fc-list :lang=zh lists only those covering Chinese.
        listed = subprocess.run([fc_list, ":lang=zh", "file"], capture_output=True, text=True, timeout=5).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    files = sorted(line.split(":")[0].strip() for line in listed.splitlines() if line.strip())
    return next((f for f in files if os.path.isfile(f)), None)
