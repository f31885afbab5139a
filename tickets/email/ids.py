"""Our Message-IDs: made for every notification (tickets.notify), recognised in incoming mail
(tickets.email.inbound). Nothing here reads the database."""

import uuid

from helpdesk.links import site_hostname


def new_message_id(ticket=None):
    """A unique Message-ID on our domain; the ticket's reference in it helps a human reading headers."""
    local = uuid.uuid4().hex
    if ticket is not None:
        local = f"{ticket.reference}.{local}"
    return f"<{local}@{site_hostname()}>"


def is_our_message_id(message_id):
    """Whether `message_id` was written by `new_message_id` (of this site)."""
    return message_id.endswith(f"@{site_hostname()}>")
