"""Real files built in memory for upload and e-mail tests."""

import io

from PIL import Image

from tickets.attachments import check_bytes


def png_bytes(size=(64, 48), color="#1d4f91", **save):
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG", **save)
    return out.getvalue()


def jpeg_bytes(size=(64, 48), color="#b42318", **save):
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "JPEG", **save)
    return out.getvalue()


def png_upload(name="screenshot.png", **kwargs):
    """A CheckedUpload, as the forms hand to the models."""
    return check_bytes(png_bytes(**kwargs), name)
