"""Staff review of received mail: held messages are accepted as tickets or discarded."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from tickets.access import staff_required
from tickets.email.inbound import accept_held, preview
from tickets.models import InboundEmail, InboundState

PAGE_SIZE = 20
# The lists staff can look at; accepted mail is in the tickets themselves.
TABS = {
    InboundState.HELD: gettext_lazy("Held"),
    InboundState.DROPPED: gettext_lazy("Dropped (automatic)"),
    InboundState.REJECTED: gettext_lazy("Rejected"),
    InboundState.DISCARDED: gettext_lazy("Discarded"),
}


@staff_required
@require_GET
def inbound_list(request):
    state = request.GET.get("state", InboundState.HELD)
    if state not in TABS:
        state = InboundState.HELD
    visible = InboundEmail.objects.visible_to(request.user)
    mails = visible.filter(state=state).select_related("department", "reviewed_by")
    if state != InboundState.HELD:
        mails = mails.defer("raw")
    page = Paginator(mails, PAGE_SIZE).get_page(request.GET.get("page"))
    if state == InboundState.HELD:
        for mail in page.object_list:
            mail.preview = preview(mail)
    tabs = [(tab, label, tab == state) for tab, label in TABS.items()]
    return render(
        request,
        "staff/inbound.html",
        {"page": page, "mails": page.object_list, "state": state, "tabs": tabs, "held_count": visible.held().count()},
    )


def _held_or_404(request, pk):
    return get_object_or_404(InboundEmail.objects.visible_to(request.user), pk=pk)


@staff_required
@require_POST
def accept(request, pk):
    mail = _held_or_404(request, pk)
    ticket = accept_held(mail, by=request.user)
    if ticket is None:
        messages.info(request, _("This message was already reviewed."))
    else:
        messages.success(
            request,
            _("Ticket %(reference)s was opened from the message of %(sender)s.")
            % {"reference": ticket.display_reference, "sender": mail.sender},
        )
    return redirect("staff:inbound")


@staff_required
@require_POST
def discard(request, pk):
    mail = _held_or_404(request, pk)
    if mail.discard(by=request.user):
        messages.success(request, _("The message of %(sender)s was discarded.") % {"sender": mail.sender})
    else:
        messages.info(request, _("This message was already reviewed."))
    return redirect("staff:inbound")
