"""Read one raw RFC 822 message on standard input and ingest it: the entry point for an MTA pipe.

Postfix, for example: deploy/postfix/ (the README's recipe) passes the envelope recipient and
sender on, one recipient per run.

Exit codes follow sysexits.h, which is how the MTA decides what to do with the message:
0 stored (or deliberately dropped or held), 65 (EX_DATAERR) malformed or rejected: the MTA
bounces it, 75 (EX_TEMPFAIL) the database or cache is unavailable: the MTA keeps the message
and tries again later.
"""

import logging
import sys

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import DatabaseError
from redis.exceptions import RedisError

from tickets.email.inbound import Envelope, ingest
from tickets.models import InboundState

EX_OK = 0
EX_DATAERR = 65
EX_TEMPFAIL = 75

log = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Ingest one raw e-mail message read from standard input (for an MTA pipe)."

    def add_arguments(self, parser):
        parser.add_argument("--recipient", default=None, help="The envelope recipient, as the MTA gives it.")
        parser.add_argument(
            "--sender", default=None, help='The envelope sender, as the MTA gives it ("" for a bounce\'s null sender).'
        )

    def handle(self, *args, recipient=None, sender=None, **options):
        # One byte over the limit is enough to know the message is too large; the rest is not read.
        raw = sys.stdin.buffer.read(settings.INBOUND_MAX_BYTES + 1)
        try:
            inbound = ingest(raw, envelope=Envelope(recipient=recipient or "", sender=sender))
        except (DatabaseError, RedisError) as error:
            # The database (or the cache behind the rate limit) is down: the MTA must keep the message.
            log.warning("inbound mail deferred: %s", error)
            self.stderr.write(f"temporary failure: {error}")
            sys.exit(EX_TEMPFAIL)
        except Exception:  # noqa: BLE001
            # Malformed mail never gets here (ingest stores and rejects it); this is a bug of ours.
            # Deferring keeps the message with the MTA; once fixed, its retry resumes the stored copy.
            log.exception("inbound mail deferred by an unexpected error")
            self.stderr.write("temporary failure: unexpected error (logged)")
            sys.exit(EX_TEMPFAIL)
        if inbound.state == InboundState.REJECTED:
            self.stderr.write(f"rejected: {inbound.reason}")
            sys.exit(EX_DATAERR)
        self.stdout.write(f"{inbound.state}: {inbound.reason}".rstrip(": "))
        sys.exit(EX_OK)
