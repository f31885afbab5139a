"""What every e-mail we send shares, and the development backend: one .eml file per message."""

import uuid
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone

# Every mail the application sends is machine mail (RFC 3834): auto-responders must not answer it,
# and our own inbound side drops it if it ever comes back.
AUTOMATIC_HEADERS = {"Auto-Submitted": "auto-generated"}


class EmlFileBackend(BaseEmailBackend):
    def __init__(self, file_path=None, **kwargs):
        super().__init__(**kwargs)
        self.directory = Path(file_path or settings.EMAIL_FILE_PATH)

    def send_messages(self, email_messages):
        self.directory.mkdir(parents=True, exist_ok=True)
        for message in email_messages:
            name = f"{timezone.now():%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:8]}.eml"
            (self.directory / name).write_bytes(message.message().as_bytes(linesep="\r\n"))
        return len(email_messages)
