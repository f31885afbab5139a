"""Checking and storing uploaded files, from the web forms and from inbound e-mail alike.

Images are recognised by their content with Pillow (never by name or the browser's claim),
limited in bytes and pixels, and re-encoded: metadata and anything appended to the file are
dropped. PDFs and plain-text logs are kept as downloads. Everything else is refused.
"""

import io
import uuid
from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.functional import lazy
from django.utils.text import get_valid_filename
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_FILES = 10
# All the files of one message together: what one e-mail carries too (INBOUND_MAX_BYTES).
MAX_MESSAGE_BYTES = 25 * 1024 * 1024
MAX_PIXELS = 40_000_000
THUMBNAIL_SIZE = (320, 320)

# Pillow format → (content type, extension)
IMAGE_FORMATS = {
    "PNG": ("image/png", ".png"),
    "JPEG": ("image/jpeg", ".jpg"),
    "GIF": ("image/gif", ".gif"),
    "WEBP": ("image/webp", ".webp"),
}


@dataclass
class CheckedUpload:
    """A file that passed the checks, ready to be stored as an Attachment."""

    name: str
    content: bytes
    content_type: str
    extension: str
    width: int | None = None
    height: int | None = None
    thumbnail: bytes | None = None

    @property
    def is_image(self):
        return self.width is not None

    def storage_name(self):
        return f"{uuid.uuid4().hex}{self.extension}"


def _read(upload):
    upload.seek(0)
    return upload.read(MAX_FILE_BYTES + 1)


def _clean_name(name):
    name = get_valid_filename((name or "").rsplit("/", 1)[-1].rsplit("\\", 1)[-1])[:150]
    return name or "file"


def check_upload(upload, name=None):
    """Validate one file (a Django UploadedFile or any binary file object); return a CheckedUpload.

    Raises ValidationError with a message that names the file.
    """
    name = _clean_name(name or getattr(upload, "name", ""))
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_FILE_BYTES:
        raise ValidationError(
            _("“%(name)s” is too large (%(size)s); the limit is %(limit)s per file."),
            code="too_large",
            params={"name": name, "size": filesizeformat(size), "limit": filesizeformat(MAX_FILE_BYTES)},
        )
    data = _read(upload)
    return check_bytes(data, name)


def check_bytes(data, name):
    name = _clean_name(name)
    if len(data) > MAX_FILE_BYTES:
        raise ValidationError(
            _("“%(name)s” is too large (%(size)s); the limit is %(limit)s per file."),
            code="too_large",
            params={"name": name, "size": filesizeformat(len(data)), "limit": filesizeformat(MAX_FILE_BYTES)},
        )
    if not data:
        raise ValidationError(_("“%(name)s” is empty."), code="empty", params={"name": name})
    if data.startswith(b"%PDF-"):
        return CheckedUpload(name=name, content=data, content_type="application/pdf", extension=".pdf")
    if _is_plain_text(data) and name.lower().endswith((".txt", ".log")):
        return CheckedUpload(name=name, content=data, content_type="text/plain; charset=utf-8", extension=".txt")
    return _check_image(data, name)


def _is_plain_text(data):
    if b"\x00" in data:
        return False
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    head = text[:1024].lstrip().lower()
    return not head.startswith(("<!doctype", "<html", "<svg", "<?xml", "<script"))


def _refuse(name):
    return ValidationError(
        _(
            "“%(name)s” is not an accepted file. "
            "Send screenshots as PNG, JPEG, GIF or WebP images, or logs as PDF or .txt."
        ),
        code="invalid_type",
        params={"name": name},
    )


def _check_image(data, name):
    try:
        image = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError:
        # Pillow refuses to even open a header this far beyond its own limit.
        raise ValidationError(
            _("“%(name)s” has too many pixels; the limit is 40 megapixels."),
            code="too_many_pixels",
            params={"name": name},
        ) from None
    except (UnidentifiedImageError, OSError, ValueError):
        raise _refuse(name) from None
    if image.format not in IMAGE_FORMATS:
        raise _refuse(name)
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise ValidationError(
            _("“%(name)s” is too large (%(width)s×%(height)s pixels); the limit is 40 megapixels."),
            code="too_many_pixels",
            params={"name": name, "width": width, "height": height},
        )
    try:
        image.load()
        content, thumbnail = _reencode(image)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise ValidationError(
            _("“%(name)s” is damaged or incomplete and cannot be read as an image."),
            code="broken_image",
            params={"name": name},
        ) from None
    content_type, extension = IMAGE_FORMATS[image.format]
    return CheckedUpload(
        name=name,
        content=content,
        content_type=content_type,
        extension=extension,
        width=width,
        height=height,
        thumbnail=thumbnail,
    )


# Keys of Image.info that describe pixels or animation, not the author, camera or place.
_KEPT_INFO = ("transparency", "duration", "loop", "background", "disposal")


def _reencode(image):
    """Write the image anew in its own format, without metadata; and a WebP thumbnail."""
    fmt = image.format
    animated = getattr(image, "is_animated", False)
    if fmt == "JPEG":
        clean = ImageOps.exif_transpose(image).convert("RGB")
    else:
        clean = image
    clean.info = {key: value for key, value in image.info.items() if key in _KEPT_INFO}
    out = io.BytesIO()
    if fmt == "JPEG":
        clean.save(out, "JPEG", quality=90, optimize=True)
    else:
        clean.save(out, fmt, save_all=animated)
    if animated:
        image.seek(0)
    thumb = clean.convert("RGBA")
    thumb.thumbnail(THUMBNAIL_SIZE)
    thumb_out = io.BytesIO()
    thumb.save(thumb_out, "WEBP", quality=80)
    return out.getvalue(), thumb_out.getvalue()


def check_uploads(uploads):
    """Check a list of files for one message; all errors at once, nothing stored."""
    if len(uploads) > MAX_FILES:
        raise ValidationError(
            _("At most %(limit)s files per message."), code="too_many_files", params={"limit": MAX_FILES}
        )
    checked, errors = [], []
    for upload in uploads:
        try:
            checked.append(check_upload(upload))
        except ValidationError as error:
            errors.extend(error.error_list)
    if errors:
        raise ValidationError(errors)
    return checked


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


def _help_text_now():
    text = gettext("Screenshots (PNG, JPEG, GIF, WebP) or logs (PDF, .txt); up to %(count)s files of 5 MB each.")
    return text % {"count": MAX_FILES}


# Lazy: the field is built when a form class is defined, long before the request's language is known.
_help_text = lazy(_help_text_now, str)


class AttachmentsField(forms.FileField):
    """A form field for several files; `cleaned_data` holds a list of CheckedUpload."""

    widget = MultipleFileInput

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", _("Attachments"))
        kwargs.setdefault("help_text", _help_text())
        super().__init__(*args, **kwargs)
        self.widget.attrs.setdefault(
            "accept", "image/png,image/jpeg,image/gif,image/webp,application/pdf,text/plain,.txt,.log,.pdf"
        )

    def widget_attrs(self, widget):
        """The limits and the (lazily translated) messages for static/js/attachments.js."""
        return {
            **super().widget_attrs(widget),
            "data-max-files": MAX_FILES,
            "data-max-bytes": MAX_FILE_BYTES,
            "data-max-total": MAX_MESSAGE_BYTES,
            "data-msg-hint": _("You can also paste or drop screenshots into this form."),
            "data-msg-type": _("“{name}” was left out: only screenshots (PNG, JPEG, GIF, WebP), PDFs and .txt logs."),
            "data-msg-size": _("“{name}” was left out: it has {size}, the limit is 5 MB per file."),
            "data-msg-count": _("“{name}” was left out: at most 10 files per message."),
            "data-msg-total": _("“{name}” was left out: all the files of a message together may have 25 MB."),
            "data-msg-remove": _("Remove"),
            "data-msg-screenshot": _("screenshot"),
        }

    def clean(self, data, initial=None):
        files = [f for f in (data if isinstance(data, (list, tuple)) else [data]) if f]
        if not files:
            if self.required:
                raise ValidationError(self.error_messages["required"], code="required")
            return []
        return check_uploads(files)
