"""CSV export of the staff queue: the same filters as the queue page, streamed row by row.

Spreadsheets run a cell that starts with = + - @ (or a tab or carriage return that hides one)
as a formula, and ticket subjects and addresses come from customers: such cells get a leading
apostrophe, which spreadsheets show as text and do not print.
"""

import csv

from django.http import StreamingHttpResponse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from tickets import satisfaction
from tickets.access import staff_required
from tickets.queue import QueueFilter

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# Excel reads a CSV as UTF-8 only when it starts with the byte order mark.
BOM = "\ufeff"
# Excel splits a CSV's columns at the list separator of the reader's regional settings: a
# semicolon where the comma is the decimal separator (Brazil), a comma elsewhere.
CHUNK = 2000


def neutralise(value):
    """The cell as text, with an apostrophe before anything a spreadsheet would run as a formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_PREFIXES) else text


def list_separator():
    """The column separator Excel expects in the active language."""
    return ";" if formats.get_format("DECIMAL_SEPARATOR") == "," else ","


def _time(value):
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


class _Line:
    """A file-like object whose write() returns what it was given, for csv.writer in a generator."""

    def write(self, text):
        return text


def _columns(now):
    """(header, value of a ticket) for each column of the export."""
    return [
        (_("Reference"), lambda t: t.display_reference),
        (_("Subject"), lambda t: t.subject),
        (_("Status"), lambda t: t.get_status_display()),
        (_("Priority"), lambda t: t.get_priority_display()),
        (_("Department"), lambda t: t.department.name),
        (_("Service"), lambda t: t.service.name if t.service_id else ""),
        (_("Customer"), lambda t: t.requester_email),
        (_("Assignee"), lambda t: t.assignee.email if t.assignee_id else ""),
        (_("Created"), lambda t: _time(t.created_at)),
        (_("Last update"), lambda t: _time(t.updated_at)),
        (_("First response"), lambda t: _time(t.first_response_at)),
        (_("Due"), lambda t: _time(t.due_at)),
        (_("Overdue"), lambda t: _("yes") if t.is_overdue(now) else ""),
        (_("Escalated"), lambda t: _time(t.escalated_at)),
        (_("Closed"), lambda t: _time(t.closed_at)),
        (_("Rating"), satisfaction.score_label),
    ]


@staff_required
@require_GET
def queue_csv(request):
    queue = QueueFilter(request.user, request.GET)
    columns = _columns(queue.now)
    writer = csv.writer(_Line(), delimiter=list_separator())

    language = translation.get_language()

    def lines():
        # The rows are written after the view returned: keep the user's language for the labels.
        with translation.override(language):
            yield BOM + writer.writerow([header for header, _value in columns])
            for ticket in satisfaction.with_latest_score(queue.queryset).iterator(chunk_size=CHUNK):
                yield writer.writerow([neutralise(value(ticket)) for _header, value in columns])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    filename = f"tickets-{timezone.localtime(queue.now):%Y%m%d-%H%M}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
