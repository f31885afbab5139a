from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render

from tickets.access import attachment_or_404, customer_ticket_or_404
from tickets.models import Ticket


def home(request):
    """Customers see their open tickets; agents land in the staff queue."""
    if not request.user.is_authenticated:
        return render(request, "tickets/home_anonymous.html")
    if request.user.is_agent:
        return redirect("staff:queue")
    tickets = Ticket.objects.visible_to(request.user).filter(customer=request.user).open().select_related("department")
    return render(request, "tickets/home.html", {"tickets": tickets[:20]})


@login_required
def ticket_list(request):
    tickets = (
        Ticket.objects.visible_to(request.user).filter(customer=request.user).select_related("department", "service")
    )
    return render(request, "tickets/list.html", {"tickets": tickets[:50]})


@login_required
def ticket_detail(request, reference):
    ticket = customer_ticket_or_404(request.user, reference)
    messages = ticket.messages.visible_to(request.user).select_related("author").prefetch_related("attachments")
    return render(request, "tickets/detail.html", {"ticket": ticket, "thread": messages, "events": ticket.events.all()})


def _serve(field, attachment, content_type):
    if not field:
        raise Http404
    response = FileResponse(field.open("rb"), content_type=content_type)
    disposition = "inline" if attachment.is_image else "attachment"
    response["Content-Disposition"] = f"{disposition}; filename*=UTF-8''{_quote(attachment.original_name)}"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
    response["Cache-Control"] = "private, max-age=3600"
    return response


def _quote(name):
    from urllib.parse import quote

    return quote(name, safe="")


@login_required
def attachment(request, reference, pk):
    item = attachment_or_404(request.user, reference, pk)
    return _serve(item.file, item, item.content_type)


@login_required
def attachment_thumbnail(request, reference, pk):
    item = attachment_or_404(request.user, reference, pk)
    return _serve(item.thumbnail, item, "image/webp")
