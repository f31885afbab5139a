"""The customer panel: home, My tickets, opening a ticket, the ticket page, and its files."""

from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from departments.models import Department
from helpdesk import ratelimit
from tickets import sla
from tickets.access import attachment_or_404, customer_ticket_or_404
from tickets.forms.customer import EscalateForm, NewTicketForm, ReplyForm
from tickets.models import EscalationRefused, EventKind, Problem, Status, Ticket
from tickets.models.rules import ACTIVE, STATUS_FILTERS
from tickets.thread import build_thread, thread_messages

PAGE_SIZE = 20


def _my_tickets(user):
    return Ticket.objects.customer_visible_to(user).select_related("department", "service")


@require_GET
def home(request):
    """Customers see their open tickets; agents land in the staff queue (they can still open /tickets/)."""
    if not request.user.is_authenticated:
        return render(request, "tickets/home_anonymous.html")
    if request.user.is_agent:
        return redirect("staff:queue")
    tickets = _my_tickets(request.user).open()
    return render(
        request,
        "tickets/home.html",
        {
            "tickets": tickets[:PAGE_SIZE],
            "more": tickets.count() > PAGE_SIZE,
            "waiting_count": tickets.filter(status=Status.ANSWERED).count(),
        },
    )


@login_required
@require_GET
def ticket_list(request):
    status = request.GET.get("status", ACTIVE)
    if status not in dict(STATUS_FILTERS):
        status = ACTIVE
    tickets = _my_tickets(request.user).with_status_filter(status)
    page = Paginator(tickets, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "tickets/list.html",
        {"page": page, "tickets": page.object_list, "status": status, "status_filters": STATUS_FILTERS},
    )


@login_required
@require_GET
def new_ticket(request):
    """Step one of opening a ticket: choose the department."""
    departments = list(Department.objects.active())
    for department in departments:
        department.usual_response_display = sla.usual_response(department)
    return render(request, "tickets/new.html", {"departments": departments})


# Plural by "limit"; "period" is a duration such as "60 minutes".
OPEN_LIMIT_REACHED = ngettext_lazy(
    "You have already opened %(limit)s ticket within the last %(period)s, the most we accept. "
    "Your text is kept below: send it again within %(period)s (attach the files again), "
    "or add it to one of your open tickets.",
    "You have already opened %(limit)s tickets within the last %(period)s, the most we accept. "
    "Your text is kept below: send it again within %(period)s (attach the files again), "
    "or add it to one of your open tickets.",
    "limit",
)
REPLY_LIMIT_REACHED = ngettext_lazy(
    "You have already sent %(limit)s reply within the last %(period)s, the most we accept. "
    "Your text is kept below: send it again within %(period)s.",
    "You have already sent %(limit)s replies within the last %(period)s, the most we accept. "
    "Your text is kept below: send it again within %(period)s.",
    "limit",
)


def _over_limit(request, name, message):
    """Count a submission that is about to be saved; over the limit, say so and keep the form.

    Only a valid submission counts, so correcting a form never uses up the allowance.
    """
    if ratelimit.allow(name, request.user.pk):
        return False
    limit, seconds = ratelimit.LIMITS[name]
    messages.error(request, message % {"limit": limit, "period": sla.describe_duration(seconds // 60, business=False)})
    return True


@login_required
@require_http_methods(["GET", "POST"])
def new_ticket_form(request, slug):
    """Step two: the form. A bad file re-shows it with what was typed, and nothing is saved."""
    department = get_object_or_404(Department.objects.active(), slug=slug)
    form = NewTicketForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if not form.is_valid():
            messages.error(request, _("The ticket was not sent. Please correct the fields marked below."))
        elif _over_limit(request, "ticket_open", OPEN_LIMIT_REACHED):
            status = 429
        else:
            data = form.cleaned_data
            ticket = Ticket.open(
                customer=request.user,
                department=department,
                subject=data["subject"],
                summary=data["summary"],
                priority=data["priority"],
                service=data["service"],
                site=data["site"],
                body=data["body"],
                uploads=data["attachments"],
            )
            messages.success(
                request,
                _("Ticket %(reference)s is open. We will answer here and by e-mail.")
                % {"reference": ticket.display_reference},
            )
            return redirect(ticket)
    return render(
        request,
        "tickets/form.html",
        {"form": form, "department": department, "known_issues": Problem.objects.known_issues(department)},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def ticket_detail(request, reference):
    """The ticket page; a POST is the customer's reply."""
    ticket = customer_ticket_or_404(request.user, reference)
    if ticket.merged_into_id:
        # A merged duplicate lives on in its target, when the customer may see that one.
        target = Ticket.objects.visible_to(request.user).filter(customer=request.user, pk=ticket.merged_into_id)
        if target := target.first():
            return redirect(target)
    form = ReplyForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if form.is_valid() and _over_limit(request, "ticket_reply", REPLY_LIMIT_REACHED):
            return _detail_page(request, ticket, form=form, status=429)
        if form.is_valid():
            was_closed = ticket.is_closed
            ticket.reply(author=request.user, body=form.cleaned_data["body"], uploads=form.cleaned_data["attachments"])
            if was_closed:
                messages.success(request, _("Your reply was sent and the ticket is open again."))
            else:
                messages.success(request, _("Your reply was sent."))
            return redirect(ticket)
        messages.error(request, _("Your reply was not sent. Please correct the fields marked below."))
    return _detail_page(request, ticket, form=form)


def _detail_page(request, ticket, *, form=None, escalate_form=None, status=200):
    # The customer panel never shows internal notes, even to a customer who is also staff.
    shown = thread_messages(ticket.messages.visible_to(request.user, ticket).public())
    # "Opened" is the first message itself and the facts above the thread.
    events = ticket.events.exclude(kind=EventKind.CREATED).select_related("actor")
    if escalate_form is None and ticket.escalation_refusal() is None:
        escalate_form = EscalateForm()
    return render(
        request,
        "tickets/detail.html",
        {
            "ticket": ticket,
            "thread": build_thread(shown, events, ticket=ticket),
            "form": form if form is not None else ReplyForm(),
            "escalate_form": escalate_form,
        },
        status=status,
    )


@login_required
@require_POST
def escalate_ticket(request, reference):
    """The customer asks a supervisor to step in: on an overdue ticket, or when the answer did not help."""
    ticket = customer_ticket_or_404(request.user, reference)
    form = EscalateForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The ticket was not escalated. Please correct the field marked below."))
        return _detail_page(request, ticket, escalate_form=form)
    try:
        ticket.escalate(by=request.user, reason=form.cleaned_data["reason"])
    except EscalationRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(
            request,
            _("Ticket escalated. Those in charge of %(department)s were told and will follow it up.")
            % {"department": ticket.department.name},
        )
    return redirect(ticket)


@login_required
@require_POST
def close_ticket(request, reference):
    ticket = customer_ticket_or_404(request.user, reference)
    if ticket.is_closed:
        messages.info(request, _("This ticket was already closed."))
    else:
        ticket.close(by=request.user)
        messages.success(request, _("Ticket closed. If you reply, it opens again."))
    return redirect(ticket)


def _serve(field, attachment, content_type):
    if not field:
        raise Http404
    response = FileResponse(field.open("rb"), content_type=content_type)
    disposition = "inline" if attachment.is_image else "attachment"
    response["Content-Disposition"] = f"{disposition}; filename*=UTF-8''{quote(attachment.original_name, safe='')}"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
    response["Cache-Control"] = "private, max-age=3600"
    return response


@login_required
@require_GET
def attachment(request, reference, pk):
    item = attachment_or_404(request.user, reference, pk)
    return _serve(item.file, item, item.content_type)


@login_required
@require_GET
def attachment_thumbnail(request, reference, pk):
    item = attachment_or_404(request.user, reference, pk)
    return _serve(item.thumbnail, item, "image/webp")
