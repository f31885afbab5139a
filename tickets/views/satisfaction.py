"""The rating page a closing e-mail links to (and the ticket page's rating form posts to).

Reached through the signed token in its address (tickets.satisfaction), with or without a login:
a GET shows the form with the linked answer chosen and changes nothing (mail scanners follow
links); only a POST records.
"""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from helpdesk.ratelimit import limit_posts
from tickets.forms.satisfaction import RatingForm
from tickets.models import Rating, RatingRefused
from tickets.satisfaction import TokenExpired, closing_for_token


def _context(request, reference, token):
    """The page's facts, or None when the token has expired."""
    try:
        ticket, closing = closing_for_token(reference, token)
    except TokenExpired:
        return None
    current = ticket.current_closing()
    rating = Rating.objects.filter(closing=closing).first()
    return {
        "ticket": ticket,
        "closing": closing,
        "rating": rating,
        # The ticket was opened again (or merged) since this close: its next close asks anew.
        "stale": current is None or current.pk != closing.pk,
        "locked": rating is not None and not rating.is_changeable(),
        "own_ticket": ticket.is_customer(request.user),
        "rate_url": reverse("tickets:rate", args=[reference, token]),
        "thanks_url": reverse("tickets:rate_thanks", args=[reference, token]),
    }


@require_http_methods(["GET", "POST"])
@limit_posts("ticket_rating")
def rate(request, reference, token):
    context = _context(request, reference, token)
    if context is None:
        return render(request, "tickets/satisfaction/expired.html", status=410)
    ticket, rating = context["ticket"], context["rating"]
    department = ticket.department
    initial = {"score": rating.score, "comment": rating.comment} if rating else {}
    if request.GET.get("score"):
        initial["score"] = request.GET["score"]
    form = RatingForm(
        department.satisfaction_scale,
        department.satisfaction_question(),
        request.POST if request.method == "POST" else None,
        initial=initial,
        submit_label=RatingForm.CHANGE if rating else None,
    )
    if request.method == "POST" and not (context["stale"] or context["locked"]):
        if form.is_valid():
            try:
                ticket.rate(
                    closing=context["closing"],
                    score=form.cleaned_data["score"],
                    comment=form.cleaned_data["comment"],
                    by=ticket.customer,
                )
            except RatingRefused as refusal:
                messages.error(request, str(refusal))
            else:
                return redirect(context["thanks_url"])
        else:
            messages.error(request, _("Your rating was not recorded. Please correct the fields marked below."))
    elif request.method == "POST":
        messages.error(request, _("Nothing was recorded."))
    return render(request, "tickets/satisfaction/rate.html", {**context, "form": form})


@require_GET
def thanks(request, reference, token):
    context = _context(request, reference, token)
    if context is None:
        return render(request, "tickets/satisfaction/expired.html", status=410)
    if context["rating"] is None:
        return redirect("tickets:rate", reference=reference, token=token)
    return render(request, "tickets/satisfaction/thanks.html", context)
