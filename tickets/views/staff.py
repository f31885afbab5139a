from django.shortcuts import render

from tickets.access import staff_required, staff_ticket_or_404
from tickets.models import Ticket


@staff_required
def queue(request):
    tickets = Ticket.objects.staff_visible_to(request.user).open().select_related("department", "customer", "assignee")
    return render(request, "staff/queue.html", {"tickets": tickets[:50]})


@staff_required
def ticket(request, reference):
    ticket = staff_ticket_or_404(request.user, reference)
    thread = ticket.messages.visible_to(request.user).select_related("author").prefetch_related("attachments")
    return render(request, "staff/ticket.html", {"ticket": ticket, "thread": thread, "events": ticket.events.all()})
