"""Hostile and broken files sent through the customer's forms: refused or cleaned, nothing half-saved."""

import io
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from tickets.models import Attachment, Message, Ticket
from tickets.tests.files import jpeg_bytes, png_bytes

pytestmark = pytest.mark.usefixtures("english")


def _chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def huge_png_header(width=30000, height=30000):
    """A tiny file that claims 30000×30000 pixels (900 megapixels): a decompression bomb's header."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")


def _open(client, *files, **fields):
    data = {"subject": "Print do erro", "summary": "Erro", "priority": "low", "body": "Veja o anexo.", **fields}
    data["attachments"] = [SimpleUploadedFile(name, content, content_type=ctype) for name, content, ctype in files]
    return client.post(reverse("tickets:new_department", args=["suporte"]), data)


def _assert_nothing_saved():
    assert not Ticket.objects.exists()
    assert not Message.objects.exists()
    assert not Attachment.objects.exists()


def test_png_with_html_appended_is_stored_reencoded_without_the_html(login, customer, support):
    payload = png_bytes() + b"<html><script>alert(document.cookie)</script></html>"
    response = _open(login(customer), ("tela.png", payload, "image/png"))
    assert response.status_code == 302
    attachment = Attachment.objects.get()
    with attachment.file.open("rb") as stored:
        content = stored.read()
    assert b"<script>" not in content and b"<html>" not in content
    assert content.startswith(b"\x89PNG")
    assert Image.open(io.BytesIO(content)).size == (64, 48)
    assert attachment.content_type == "image/png"
    assert attachment.file.name.endswith(".png") and "tela" not in attachment.file.name


def test_jpeg_loses_its_metadata(login, customer, support):
    image = Image.new("RGB", (40, 30), "red")
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # Make
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    assert b"SpyCam" in out.getvalue()
    _open(login(customer), ("foto.jpg", out.getvalue(), "image/jpeg"))
    with Attachment.objects.get().file.open("rb") as stored:
        assert b"SpyCam" not in stored.read()


def test_svg_renamed_png_is_refused(login, customer, support):
    svg = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect/></svg>'
    response = _open(login(customer), ("logo.png", svg, "image/png"))
    assert response.status_code == 200
    assert "“logo.png” is not an accepted file." in response.content.decode()
    _assert_nothing_saved()


def test_html_named_txt_is_refused(login, customer, support):
    response = _open(login(customer), ("log.txt", b"<!DOCTYPE html><html><script>x</script>", "text/plain"))
    assert "“log.txt” is not an accepted file." in response.content.decode()
    _assert_nothing_saved()


def test_30000_by_30000_png_header_is_refused_for_its_pixels(login, customer, support):
    bomb = huge_png_header()
    assert len(bomb) < 200
    response = _open(login(customer), ("bomba.png", bomb, "image/png"))
    assert response.status_code == 200
    assert "“bomba.png” has too many pixels; the limit is 40 megapixels." in response.content.decode()
    _assert_nothing_saved()


def test_png_just_over_40_megapixels_names_its_size(login, customer, support):
    response = _open(login(customer), ("grande.png", huge_png_header(8000, 5001), "image/png"))
    assert "“grande.png” is too large (8000×5001 pixels); the limit is 40 megapixels." in response.content.decode()
    _assert_nothing_saved()


def test_truncated_jpeg_is_refused(login, customer, support):
    data = jpeg_bytes(size=(400, 300))
    response = _open(login(customer), ("cortada.jpg", data[: len(data) // 2], "image/jpeg"))
    assert response.status_code == 200
    assert "“cortada.jpg” is damaged or incomplete" in response.content.decode()
    _assert_nothing_saved()


def test_file_over_5_mb_is_refused(login, customer, support):
    big = b"%PDF-1.4\n" + b"0" * (5 * 1024 * 1024)
    response = _open(login(customer), ("grande.pdf", big, "application/pdf"))
    assert response.status_code == 200
    assert "“grande.pdf” is too large" in response.content.decode()
    _assert_nothing_saved()


def test_eleven_files_are_refused(login, customer, support):
    files = [(f"tela{n}.png", png_bytes(), "image/png") for n in range(11)]
    response = _open(login(customer), *files)
    assert response.status_code == 200
    assert "At most 10 files per message." in response.content.decode()
    _assert_nothing_saved()


def test_ten_files_are_accepted(login, customer, support):
    files = [(f"tela{n}.png", png_bytes(), "image/png") for n in range(10)]
    assert _open(login(customer), *files).status_code == 302
    assert Attachment.objects.count() == 10


def test_one_bad_file_among_good_ones_saves_nothing_and_names_it(login, customer, support):
    response = _open(
        login(customer),
        ("boa.png", png_bytes(), "image/png"),
        ("ruim.gif", b"GIF89a" + b"\x00" * 10, "image/gif"),
        subject="Assunto digitado",
    )
    page = response.content.decode()
    assert "“ruim.gif” is not an accepted file." in page
    assert "“boa.png”" not in page
    assert 'value="Assunto digitado"' in page
    _assert_nothing_saved()


def test_executable_is_refused(login, customer, support):
    response = _open(login(customer), ("setup.exe", b"MZ\x90\x00" + b"\x00" * 100, "application/octet-stream"))
    assert "“setup.exe” is not an accepted file." in response.content.decode()
    _assert_nothing_saved()


def test_crafted_file_in_a_reply_saves_nothing(login, customer, ticket):
    response = login(customer).post(
        reverse("tickets:detail", args=[ticket.reference]),
        {"body": "resposta", "attachments": [SimpleUploadedFile("b.png", huge_png_header(), "image/png")]},
    )
    assert response.status_code == 200
    assert ticket.messages.count() == 1
    assert not Attachment.objects.exists()
