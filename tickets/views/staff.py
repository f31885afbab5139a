"""The staff side: the queue with its bulk actions, and the ticket workspace with its actions.

Every view is behind `staff_required` and reaches tickets only through `staff_ticket_or_404`
or `QueueFilter` (both built on `Ticket.objects.staff_visible_to`): a ticket of another
department is a 404. Actions are POSTs that call one model method and redirect.
"""

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tickets import choices, satisfaction
from tickets.access import staff_required, staff_ticket_or_404
from tickets.forms.staff import (
    AssignForm,
    BulkActionForm,
    MergeForm,
    StaffReplyForm,
    TicketDetailsForm,
    TransferForm,
)
from tickets.models import EventKind, Priority, Speaker, Status, Ticket
from tickets.problems import workspace_panel
from tickets.queue import ASSIGNEE_FILTERS, SORTS, QueueFilter
from tickets.templatetags.staff import relative
from tickets.thread import build_thread, thread_messages

OTHER_TICKETS = 10
THREAD_LATEST = 30


# The queue


@staff_required
@require_GET
def queue(request):
    queue_filter = QueueFilter(request.user, request.GET)
    page = queue_filter.page(request.GET)
    return render(
        request,
        "staff/queue.html",
        {
            "queue": queue_filter,
            "query": queue_filter.querystring(),
            "page": page,
            "rows": _queue_rows(page.rows, queue_filter.now),
            "status_tabs": queue_filter.status_tabs(),
            "menus": _queue_menus(queue_filter),
        },
    )


@dataclass(slots=True)
class QueueRow:
    """What one row of the queue shows, computed once (templates/jinja2/staff/_queue_rows.html draws it)."""

    reference: int
    url: str
    select_label: str
    subject: str
    customer: str
    customer_email: str  # the title of a customer's name; empty for a guest
    department: str
    service: str
    priority: str
    priority_label: str
    status: str
    status_label: str
    assignee: str
    updated_iso: str
    updated_exact: str
    updated: str
    due_iso: str
    due: str
    awaiting: bool  # the customer spoke last on an open ticket
    customer_spoke_last: bool
    overdue: bool
    escalated: bool


def _queue_rows(tickets, now):
    """The page's tickets as QueueRows, with the menus' labels looked up once a page."""
    departments = {pk: name for pk, name, _active in choices.departments()}
    services = {pk: name for pk, name, _active in choices.services()}
    priorities = _labels(Priority)
    statuses = _labels(Status)
    url_prefix = _staff_url_prefix()
    rows = []
    for ticket in tickets:
        open_ = not ticket.is_closed
        customer_spoke_last = ticket.last_speaker == Speaker.CUSTOMER
        updated = timezone.localtime(ticket.updated_at)
        due_at = timezone.localtime(ticket.due_at) if ticket.due_at and open_ else None
        rows.append(
            QueueRow(
                reference=ticket.reference,
                url=f"{url_prefix}{ticket.reference}/",
                select_label=_("Select #%(reference)s") % {"reference": ticket.reference},
                subject=ticket.subject,
                customer=ticket.customer.get_full_name() if ticket.customer_id else ticket.guest_email,
                customer_email=ticket.customer.email if ticket.customer_id else "",
                department=departments.get(ticket.department_id, ""),
                service=services.get(ticket.service_id, "—"),
                priority=ticket.priority,
                priority_label=priorities.get(ticket.priority, ""),
                status=ticket.status,
                status_label=statuses.get(ticket.status, ""),
                assignee=ticket.assignee.get_full_name() if ticket.assignee_id else "",
                updated_iso=updated.isoformat(),
                updated_exact=date_format(updated, "DATETIME_FORMAT"),
                updated=relative(updated, now),
                due_iso=due_at.isoformat() if due_at else "",
                due=relative(due_at, now) if due_at else "",
                awaiting=customer_spoke_last and open_,
                customer_spoke_last=customer_spoke_last,
                overdue=ticket.is_overdue(now),
                escalated=ticket.is_escalated,
            )
        )
    return rows


def _staff_url_prefix():
    """The start of every workspace address: reverse() once, as they differ only by the reference."""
    return reverse("staff:ticket", args=["000000"]).removesuffix("000000/")


def _labels(choices_class):
    """A TextChoices' labels in the active language, translated once."""
    return {value: str(label) for value, label in choices_class.choices}


def _other_tickets(tickets):
    """The sidebar's list of the customer's other tickets: what each item shows."""
    url_prefix, statuses = _staff_url_prefix(), _labels(Status)
    return [
        {
            "url": f"{url_prefix}{ticket.reference}/",
            "reference": ticket.reference,
            "subject": ticket.subject,
            "status": ticket.status,
            "status_label": statuses.get(ticket.status, ""),
        }
        for ticket in tickets
    ]


def _options(options, current=""):
    return [(str(value), label, str(value) == current) for value, label in options]


def _queue_menus(queue_filter):
    """The filter bar's and the bulk bar's menus as (value, label, selected) lists.

    Plain loops in the template render them several times faster than form widgets would, on
    the page staff load most; the bulk action posts back to BulkActionForm, which checks all.
    """
    user, state = queue_filter.user, queue_filter.state
    departments = choices.departments()
    agents = choices.agents(None if user.is_superuser else user.department_ids)
    return {
        "departments": _options(
            [(pk, name) for pk, name, _active in departments if user.is_superuser or pk in user.department_ids],
            state["department"],
        ),
        "priorities": _options(Priority.choices, state["priority"]),
        "assignees": _options(ASSIGNEE_FILTERS, state["assignee"]),
        "services": _options([(pk, name) for pk, name, _active in choices.services()], state["service"]),
        "ratings": _options(satisfaction.RATING_FILTERS[1:], state["rating"]),
        "sorts": _options([(key, sort.label) for key, sort in SORTS.items()], state["sort"]),
        "agents": _options(agents),
        "statuses": _options(Status.choices),
        "transfer": _options([(pk, name) for pk, name, active in departments if active]),
    }


@staff_required
@require_POST
def bulk(request):
    form = BulkActionForm(request.user, request.POST)
    if form.is_valid():
        messages.success(request, form.apply())
    else:
        messages.error(request, _("Nothing was changed: %(errors)s") % {"errors": _error_text(form)})
    # Back to the same view of the queue, rebuilt from allowlisted keys only.
    filters = QueueFilter(request.user, QueryDict(request.POST.get("filters", ""))).querystring()
    return redirect(reverse("staff:queue") + (f"?{filters}" if filters else ""))


def _error_text(form):
    return " ".join(str(error) for errors in form.errors.values() for error in errors)


# The workspace


@staff_required
@require_http_methods(["GET", "POST"])
def ticket(request, reference):
    """The workspace; a POST is the composer (reply, reply and close, note, or insert a canned reply)."""
    ticket = staff_ticket_or_404(request.user, reference)
    if ticket.merged_into_id:
        messages.info(
            request,
            _("Ticket %(old)s was merged into this one.") % {"old": ticket.display_reference},
        )
        return redirect(ticket.merged_into.get_staff_url())
    if request.method == "GET":
        return _workspace(request, ticket)
    form = StaffReplyForm(ticket, request.user, request.POST, request.FILES)
    if not form.is_valid():
        return _workspace(request, ticket, reply_form=form)
    data = form.cleaned_data
    if data["action"] == form.INSERT:
        filled = StaffReplyForm(
            ticket,
            request.user,
            initial={"body": form.text_with_canned(), "seen": data["seen"]},
            canned_replies=list(form.canned_replies.values()),
        )
        return _workspace(request, ticket, reply_form=filled)
    if form.collides():
        return _workspace(request, ticket, reply_form=form)
    if data["action"] == form.NOTE:
        ticket.reply(
            author=request.user, body=data["body"], uploads=data["attachments"], internal=True, from_staff=True
        )
        messages.success(request, _("Internal note added. The customer does not see it."))
    elif data["action"] == form.REPLY_CLOSE:
        ticket.reply_and_close(author=request.user, body=data["body"], uploads=data["attachments"])
        messages.success(request, _("Reply sent and ticket closed."))
    else:
        ticket.reply(author=request.user, body=data["body"], uploads=data["attachments"], from_staff=True)
        messages.success(request, _("Reply sent."))
    return redirect(ticket.get_staff_url())


@staff_required
@require_POST
def details(request, reference):
    ticket = staff_ticket_or_404(request.user, reference)
    form = TicketDetailsForm(ticket, request.POST)
    if not form.is_valid():
        return _workspace(request, ticket, details_form=form)
    ticket.change_details(by=request.user, **form.cleaned_data)
    messages.success(request, _("Ticket details saved."))
    return redirect(ticket.get_staff_url())


@staff_required
@require_POST
def assign(request, reference):
    ticket = staff_ticket_or_404(request.user, reference)
    form = AssignForm(ticket, request.user, request.POST)
    if form.is_valid():
        agent = form.cleaned_data["assignee"]
        try:
            ticket.assign(agent, by=request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if agent is None:
                messages.success(request, _("Nobody is assigned now."))
            else:
                messages.success(request, _("Assigned to %(name)s.") % {"name": agent.get_full_name()})
            return redirect(ticket.get_staff_url())
    return _workspace(request, ticket, assign_form=form)


@staff_required
@require_POST
def transfer(request, reference):
    ticket = staff_ticket_or_404(request.user, reference)
    form = TransferForm(ticket, request.POST)
    if not form.is_valid():
        return _workspace(request, ticket, transfer_form=form)
    department = form.cleaned_data["department"]
    ticket.transfer(department, by=request.user)
    messages.success(
        request,
        _("Ticket %(reference)s transferred to %(department)s.")
        % {"reference": ticket.display_reference, "department": department},
    )
    # An agent who does not work in the new department no longer sees the ticket.
    if ticket.is_staff_member(request.user):
        return redirect(ticket.get_staff_url())
    return redirect("staff:queue")


@staff_required
@require_POST
def merge(request, reference):
    ticket = staff_ticket_or_404(request.user, reference)
    form = MergeForm(ticket, request.user, request.POST)
    if form.is_valid():
        target = form.cleaned_data["target"]
        try:
            ticket.merge_into(target, by=request.user)
        except ValidationError as error:
            form.add_error("target", error)
        else:
            messages.success(
                request,
                _("Ticket %(old)s was merged into %(new)s; the customer was told.")
                % {"old": ticket.display_reference, "new": target.display_reference},
            )
            return redirect(target.get_staff_url())
    return _workspace(request, ticket, merge_form=form)


def _workspace(request, ticket, **forms):
    """Render the workspace; `forms` replaces the blank form of the action that failed."""
    user = request.user
    messages_qs = ticket.messages.visible_to(user, ticket)
    events = ticket.events.exclude(kind=EventKind.CREATED).select_related("actor")
    whole = request.GET.get("thread") == "all"
    if whole:
        shown, earlier = thread_messages(messages_qs, deliveries=True), False
    else:
        # A long thread opens on its latest messages (and their events), the rest one click away:
        # the page costs the same for a 200-message thread as for a 20-message one.
        latest = messages_qs.order_by("-created_at", "-pk")[: THREAD_LATEST + 1]
        shown = thread_messages(latest, deliveries=True)[::-1]
        earlier = len(shown) > THREAD_LATEST
        if earlier:
            shown = shown[1:]
            events = events.filter(created_at__gte=shown[0].created_at)
    newest = max((message.pk for message in shown), default=0)
    reply_form = forms.get("reply_form") or StaffReplyForm(ticket, user, initial={"seen": newest})
    customer = ticket.customer
    other_tickets = contacts = ()
    if customer is not None:
        other_tickets = _other_tickets(
            Ticket.objects.staff_visible_to(user)
            .filter(customer=customer)
            .exclude(pk=ticket.pk)
            .only("reference", "subject", "status")
            .order_by("-updated_at")[:OTHER_TICKETS]
        )
        contacts = list(customer.contacts.all())
    return render(
        request,
        "staff/ticket.html",
        {
            "ticket": ticket,
            "thread": build_thread(
                shown, events, ticket=ticket, staff=True, arrived=[m.pk for m in reply_form.arrived]
            ),
            "earlier": earlier,
            "latest": THREAD_LATEST,
            "reply_form": reply_form,
            "canned_texts": {str(pk): text for pk, text in reply_form.canned_texts().items()},
            "details_form": forms.get("details_form") or TicketDetailsForm(ticket),
            "assign_form": forms.get("assign_form") or AssignForm(ticket, user),
            "transfer_form": forms.get("transfer_form") or TransferForm(ticket),
            "merge_form": forms.get("merge_form") or MergeForm(ticket, user),
            "other_tickets": other_tickets,
            "problem_panel": workspace_panel(ticket, user),
            "contacts": contacts,
            "verified_contacts": [contact for contact in contacts if contact.verified],
            # A browser cannot be told to keep chosen files across a round trip.
            "files_dropped": request.method == "POST" and bool(request.FILES),
        },
    )
