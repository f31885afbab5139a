"""The staff side: the queue with its bulk actions, and the ticket workspace with its actions.

Every view is behind `staff_required` and reaches tickets only through `staff_ticket_or_404`
or `QueueFilter` (both built on `Ticket.objects.staff_visible_to`): a ticket of another
department is a 404. Actions are POSTs that call one model method and redirect.
"""

import html

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from helpdesk.dates import date_format
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
from tickets.thread import build_thread

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


# One row of the queue. The page staff load most is written here, the way the admin's change
# list writes its cells: through the template engine its 25 rows cost more than the rest of the
# page together. _queue_rows escapes every value it puts in.
ROW_HTML = (
    '<tr{awaiting}><td class="hd-check"><input type="checkbox" class="form-check-input" name="tickets"'
    ' value="{reference}" aria-label="{select_label}"></td>'
    '<td class="hd-subject"><a href="{url}"><span class="hd-ref">#{reference}</span>'
    ' <span class="hd-title">{subject}</span></a></td>'
    '<td class="hd-lg hd-customer">{customer}</td><td>{department}</td><td class="hd-xl">{service}</td>'
    '<td><span class="badge badge-priority-{priority}">{priority_label}</span></td>'
    '<td><span class="badge badge-status-{status}">{status_label}</span></td>'
    '<td class="hd-lg hd-wide">{assignee}</td>'
    '<td class="text-nowrap"><time datetime="{updated_iso}" title="{updated_exact}">{updated}</time></td>'
    '<td class="hd-lg hd-wide">{spoke_last}</td><td>{due}{overdue}{escalated}</td></tr>'
)


def _queue_rows(tickets, now):
    """The page's tickets as table rows (SafeStrings), with every label escaped once a page."""
    # django.utils.html.escape is html.escape behind checks for lazy strings; these are plain.
    esc = html.escape
    departments = {pk: esc(name) for pk, name, _active in choices.departments()}
    services = {pk: esc(name) for pk, name, _active in choices.services()}
    priorities = {value: esc(str(label)) for value, label in Priority.choices}
    statuses = _status_labels()
    nobody = format_html('<span class="text-body-secondary">{}</span>', _("Nobody"))
    customer_spoke = format_html("<strong>{}</strong>", _("Customer"))
    staff_spoke = esc(_("Staff"))
    no_due = '<span class="text-body-secondary hd-nothing">—</span>'
    overdue = format_html(' <span class="badge hd-badge-overdue">{}</span>', _("Overdue"))
    escalated = format_html(' <span class="badge hd-badge-escalated">{}</span>', _("Escalated"))
    select = _("Select #%(reference)s")
    url_prefix = _staff_url_prefix()
    rows = []
    for ticket in tickets:
        open_ = ticket.status != Status.CLOSED
        customer_spoke_last = ticket.last_speaker == Speaker.CUSTOMER
        updated = timezone.localtime(ticket.updated_at)
        if ticket.customer_id:
            customer = f'<span title="{esc(ticket.customer.email)}">{esc(ticket.customer.get_full_name())}</span>'
        else:
            customer = esc(ticket.guest_email)
        if ticket.due_at and open_:
            due_at = timezone.localtime(ticket.due_at)
            due = f'<time datetime="{due_at.isoformat()}">{esc(relative(due_at, now))}</time>'
        else:
            due = no_due
        row = ROW_HTML.format(
            awaiting=' class="hd-awaiting"' if customer_spoke_last and open_ else "",
            reference=ticket.reference,
            select_label=esc(select % {"reference": ticket.reference}),
            url=f"{url_prefix}{ticket.reference}/",
            subject=esc(ticket.subject),
            customer=customer,
            department=departments.get(ticket.department_id, ""),
            service=services.get(ticket.service_id, "—"),
            priority=esc(ticket.priority),
            priority_label=priorities.get(ticket.priority, ""),
            status=esc(ticket.status),
            status_label=statuses.get(ticket.status, ""),
            assignee=esc(ticket.assignee.get_full_name()) if ticket.assignee_id else nobody,
            updated_iso=updated.isoformat(),
            updated_exact=esc(date_format(updated, "DATETIME_FORMAT")),
            updated=esc(relative(updated, now)),
            spoke_last=customer_spoke if customer_spoke_last else staff_spoke,
            due=due,
            overdue=overdue if ticket.is_overdue(now) else "",
            escalated=escalated if ticket.escalated_at and open_ else "",
        )
        rows.append(mark_safe(row))  # noqa: S308 - every value above is escaped or our own markup
    return rows


def _staff_url_prefix():
    """The escaped start of every workspace address: reverse() once, as they differ only by the reference."""
    return html.escape(reverse("staff:ticket", args=["000000"]).removesuffix("000000/"))


def _status_labels():
    return {value: html.escape(str(label)) for value, label in Status.choices}


OTHER_TICKET_HTML = (
    '<li class="d-flex justify-content-between gap-2"><a class="text-truncate" href="{url}">#{reference} {subject}</a>'
    ' <span class="badge badge-status-{status}">{status_label}</span></li>'
)


def _other_ticket_rows(tickets):
    """The sidebar's list of the customer's other tickets, written like the queue rows."""
    url_prefix, statuses = _staff_url_prefix(), _status_labels()
    return [
        mark_safe(  # noqa: S308 - every value is escaped
            OTHER_TICKET_HTML.format(
                url=f"{url_prefix}{ticket.reference}/",
                reference=ticket.reference,
                subject=html.escape(ticket.subject),
                status=html.escape(ticket.status),
                status_label=statuses.get(ticket.status, ""),
            )
        )
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
    if Ticket.objects.staff_visible_to(request.user).filter(pk=ticket.pk).exists():
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
        thread_messages, earlier = messages_qs.for_thread(deliveries=True), False
    else:
        # A long thread opens on its latest messages (and their events), the rest one click away:
        # the page costs the same for a 200-message thread as for a 20-message one.
        latest = messages_qs.order_by("-created_at", "-pk")[: THREAD_LATEST + 1]
        thread_messages = latest.for_thread(deliveries=True)[::-1]
        earlier = len(thread_messages) > THREAD_LATEST
        if earlier:
            thread_messages = thread_messages[1:]
            events = events.filter(created_at__gte=thread_messages[0].created_at)
    newest = max((message.pk for message in thread_messages), default=0)
    reply_form = forms.get("reply_form") or StaffReplyForm(ticket, user, initial={"seen": newest})
    customer = ticket.customer
    other_tickets = contacts = ()
    if customer is not None:
        other_tickets = _other_ticket_rows(
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
                thread_messages, events, ticket=ticket, staff=True, arrived=[m.pk for m in reply_form.arrived]
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
