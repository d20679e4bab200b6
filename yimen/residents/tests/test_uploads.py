"""Every sample is generated here: real pictures from Pillow, a WAV from `wave`, the rest by header."""

import functools
import io
import struct
import time
import wave
import zipfile
import zlib

import pytest
from PIL import Image, ImageFile

from yimen.common.errors import InvalidInput, TooLarge
from yimen.residents.uploads import check_upload

MB = 1024 * 1024


def picture(fmt: str, size=(64, 48)) -> bytes:
    buffer = io.BytesIO()
    # Noise, so a JPEG has a real body to cut short.
    Image.frombytes("RGB", size, bytes((i * 7919) % 251 for i in range(size[0] * size[1] * 3))).save(buffer, fmt)
    return buffer.getvalue()


def iso_media(brand: bytes, compatible: list[bytes]) -> bytes:
    ftyp = brand + b"\x00\x00\x00\x00" + b"".join(compatible)
    return struct.pack(">I", 8 + len(ftyp)) + b"ftyp" + ftyp + b"\x00\x00\x00\x08free" + b"\x00" * 32


def box(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", 8 + len(body)) + kind + body


def mp4_tracks(brand: bytes, *handlers: bytes) -> bytes:
    """An MP4 under `brand` with one track per handler type (b"soun", b"vide"), as a recorder writes it."""
    tracks = b"".join(
        box(b"trak", box(b"mdia", box(b"hdlr", b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00" + handler + b"\x00" * 12 + b"\x00")))
        for handler in handlers
    )
    return box(b"ftyp", brand + b"\x00\x00\x00\x00" + brand + b"isom") + box(b"moov", tracks) + box(b"mdat", b"\x00" * 64)


def wav() -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\x00\x01" * 800)
    return buffer.getvalue()


def zipped() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    return buffer.getvalue()


PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)

ACCEPTED = [
    ("现场照片.jpg", lambda: picture("JPEG"), "image/jpeg", "image"),
    ("截图.png", lambda: picture("PNG"), "image/png", "image"),
    ("动图.gif", lambda: picture("GIF"), "image/gif", "image"),
    ("微信图片.webp", lambda: picture("WEBP"), "image/webp", "image"),
    ("IMG_0001.heic", lambda: iso_media(b"heic", [b"mif1", b"heic"]), "image/heic", "image"),
    ("合同.pdf", lambda: PDF, "application/pdf", "pdf"),
    ("录音.mp3", lambda: b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x64" + b"\x00" * 400, "audio/mpeg", "audio"),
    ("语音备忘录.m4a", lambda: iso_media(b"M4A ", [b"M4A ", b"mp42", b"isom"]), "audio/mp4", "audio"),
    ("录音.aac", lambda: b"\xff\xf1\x50\x80\x02\x1f\xfc" + b"\x00" * 64, "audio/aac", "audio"),
    ("通话录音.amr", lambda: b"#!AMR\n" + b"\x3c" + b"\x00" * 31, "audio/amr", "audio"),
    ("录音.wav", wav, "audio/wav", "audio"),
    ("录音.ogg", lambda: b"OggS\x00\x02" + b"\x00" * 64, "audio/ogg", "audio"),
    # Android recorders that write M4A under the generic MP4 brands: sound tracks only.
    ("录音_20261124.m4a", lambda: mp4_tracks(b"mp42", b"soun"), "audio/mp4", "audio"),
    ("Recording.m4a", lambda: mp4_tracks(b"isom", b"soun"), "audio/mp4", "audio"),
]


@pytest.mark.parametrize(("name", "make", "content_type", "kind"), ACCEPTED, ids=[row[0] for row in ACCEPTED])
def test_each_accepted_kind_of_file_passes_with_its_type_from_the_content(name, make, content_type, kind):
    checked = check_upload(name=name, content=make())
    assert (checked.name, checked.content_type, checked.kind) == (name, content_type, kind)


REFUSED = [
    ("病毒.exe", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200),
    ("页面.html", b"<!DOCTYPE html><html><script>alert(1)</script></html>"),
    ("压缩包.zip", zipped()),
    ("文档.docx", b"PK\x03\x04" + b"\x00" * 60),
    ("图.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
    ("text.txt", "这不是照片".encode()),
    # A video is not a recording, even with its sound track, even named .m4a.
    ("视频.mp4", mp4_tracks(b"mp42", b"vide", b"soun")),
    ("视频.m4a", mp4_tracks(b"isom", b"vide")),
]


@pytest.mark.parametrize(("real_name", "content"), REFUSED, ids=[row[0] for row in REFUSED])
def test_a_file_that_is_not_a_photo_pdf_or_recording_is_refused_even_when_renamed_to_jpg(real_name, content):
    for name in (real_name, "照片.jpg"):
        with pytest.raises(InvalidInput) as refused:
            check_upload(name=name, content=content)
        assert str(refused.value) == f"文件“{name}”不是照片、PDF或录音，没有上传。只能上传照片、PDF文件或录音。"
        assert refused.value.field == "files"


def test_an_oversized_file_is_refused_with_its_size_in_mb():
    with pytest.raises(TooLarge) as refused:
        check_upload(name="x.jpg", content=b"\xff" * int(12.3 * MB))
    assert str(refused.value) == "文件“x.jpg”有12.3MB，超过了10MB的上限。请压缩后再传，或到窗口提交。"
    assert refused.value.field == "files" and refused.value.status == 413


def test_a_file_just_at_the_limit_passes(settings):
    settings.YIMEN_RESIDENT_MAX_UPLOAD_BYTES = len(PDF)
    check_upload(name="合同.pdf", content=PDF)


def test_an_empty_file_is_refused():
    with pytest.raises(InvalidInput, match="文件“空.jpg”是空的") as refused:
        check_upload(name="空.jpg", content=b"")
    assert refused.value.field == "files"


def test_a_truncated_jpeg_is_refused():
    whole = picture("JPEG", size=(200, 150))
    with pytest.raises(InvalidInput, match="照片“半张.jpg”打不开"):
        check_upload(name="半张.jpg", content=whole[: len(whole) // 2])


def test_a_pdf_signature_not_at_the_start_is_refused():
    with pytest.raises(InvalidInput, match="不是照片、PDF或录音"):
        check_upload(name="合同.pdf", content=b"<html>" + PDF)


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_a_picture_with_too_many_pixels_is_refused(monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 64 * 48 - 1)
    with pytest.raises(InvalidInput, match="照片“炸弹.png”的尺寸太大"):
        check_upload(name="炸弹.png", content=picture("PNG"))


def test_the_stored_name_gets_the_extension_of_what_the_file_really_is():
    assert check_upload(name="photo.JPG", content=picture("JPEG")).name == "photo.jpg"
    png = check_upload(name="photo.jpg", content=picture("PNG"))
    assert (png.name, png.content_type) == ("photo.png", "image/png")
    assert check_upload(name="录音", content=wav()).name == "录音.wav"
    assert check_upload(name="", content=PDF).name == "文件.pdf"


def test_the_stored_name_loses_paths_control_characters_and_excess_length():
    jpeg = picture("JPEG")
    assert check_upload(name="../../etc/passwd.jpg", content=jpeg).name == "passwd.jpg"
    assert check_upload(name="C:\\Users\\张三\\证据.jpg", content=jpeg).name == "证据.jpg"
    assert check_upload(name="a\x00b\n\tc.jpg", content=jpeg).name == "abc.jpg"
    # U+202E would show "发票\u202egpj.exe" as "发票exe.jpg".
    assert check_upload(name="发票\u202egpj.exe", content=jpeg).name == "发票gpj.jpg"
    long = check_upload(name="很" * 200 + ".jpg", content=jpeg).name
    assert len(long) == 80 and long.endswith("很.jpg")


# -- decoded-size budget: refused from the header, before decoding (issue 11) -----------------------


@functools.cache
def png_bomb(width=9400, height=9400) -> bytes:
    """A real, valid PNG of width × height black RGB pixels: ~250 KB on disk, ~350 MB decoded."""
    row = b"\x00" * (1 + width * 3)  # filter byte, then the pixels
    packer = zlib.compressobj(9)
    data = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


def test_a_small_png_declaring_9400_by_9400_pixels_is_refused_quickly_without_decoding(monkeypatch):
    content = png_bomb()
    assert len(content) < 400 * 1024
    decoded = []
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda self: decoded.append(self) or None)
    started = time.monotonic()
    with pytest.raises(InvalidInput, match=r"照片“截图.png”的尺寸太大（超过4000万像素），请缩小后再传") as refused:
        check_upload(name="截图.png", content=content)
    assert time.monotonic() - started < 0.5 and decoded == []
    assert refused.value.field == "files"


def test_a_picture_is_refused_above_the_configured_pixels_or_decoded_memory(settings):
    settings.YIMEN_RESIDENT_MAX_IMAGE_PIXELS = 64 * 48 - 1
    with pytest.raises(InvalidInput, match="尺寸太大"):
        check_upload(name="a.png", content=picture("PNG"))
    settings.YIMEN_RESIDENT_MAX_IMAGE_PIXELS = 64 * 48
    assert check_upload(name="a.png", content=picture("PNG")).kind == "image"
    settings.YIMEN_RESIDENT_IMAGE_MEMORY_BYTES = 64 * 48 * 4 - 1  # RGB is held in 4 bytes a pixel
    with pytest.raises(InvalidInput, match="尺寸太大"):
        check_upload(name="a.png", content=picture("PNG"))
    with pytest.raises(InvalidInput, match="尺寸太大"):
        check_upload(name="a.jpg", content=picture("JPEG"))
