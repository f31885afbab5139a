"""The corpus of received mail in tickets/tests/emails/, as real clients write it.

Files that answer one of our e-mails carry placeholders filled in per test: `{{reference}}`
(the ticket's public reference), `{{in_reply_to}}` and `{{first_id}}` (Message-IDs, without
angle brackets).
"""

import re
from pathlib import Path

EMAILS = Path(__file__).parent / "emails"


def eml(name, *, message_id=None, **values):
    """The raw bytes of a corpus file with its placeholders filled; `message_id` replaces its Message-ID."""
    raw = (EMAILS / name).read_bytes()
    for key, value in values.items():
        raw = raw.replace(b"{{%s}}" % key.encode(), str(value).strip("<>").encode())
    if message_id is not None:
        raw = re.sub(rb"(?im)^Message-Id: [^\r\n]*", b"Message-ID: " + message_id.encode(), raw, count=1)
    return raw


def reply_to(ticket, name, notification, **values):
    """A corpus reply to one of our notifications about `ticket`."""
    return eml(
        name,
        reference=ticket.reference,
        in_reply_to=notification.message_id,
        first_id=notification.message_id,
        **values,
    )
