"""Lookups every view uses to reach a ticket or a file. They all go through the access rule
(tickets.models.rules, as `Ticket.objects.staff_visible_to` / `customer_visible_to`); whatever is
not visible is a 404, so nobody learns that someone else's ticket exists."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.db.models import Exists, OuterRef
from django.http import Http404
from django.shortcuts import get_object_or_404

from tickets.models import Attachment, Problem, Rating, Ticket


def customer_ticket_or_404(user, reference):
    """A ticket in the customer panel: visible to the user and theirs."""
    return get_object_or_404(Ticket.objects.customer_visible_to(user), reference=reference)


def staff_ticket_or_404(user, reference):
    """A ticket in the staff workspace: in a department the user works."""
    tickets = (
        Ticket.objects.staff_visible_to(user)
        # The workspace shows all four on every page,
        .select_related("department", "service", "customer", "assignee")
        # and reads the ratings of a ticket only if it has any (tickets.templatetags.satisfaction).
        .annotate(rated=Exists(Rating.objects.filter(ticket=OuterRef("pk"))))
    )
    return get_object_or_404(tickets, reference=reference)


def staff_problem_or_404(user, pk):
    """A recurring problem of a department the user works (the staff side of the ticket rule)."""
    return get_object_or_404(Problem.objects.staff_visible_to(user).select_related("department", "service"), pk=pk)


def attachment_or_404(user, reference, pk):
    """A file of a message the user may see (internal notes' files only for staff)."""
    return get_object_or_404(
        Attachment.objects.visible_to(user).select_related("message__ticket"),
        pk=pk,
        message__ticket__reference=reference,
    )


def staff_required(view):
    """Login first; then only agents, supervisors and superusers. Others get a 404."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_agent:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper
