from django.shortcuts import render

from tickets.models import Ticket


def baseline(request):
    """The yardstick: a bare Django view rendering a 25-row table from the database, nothing else."""
    return render(request, "bench/baseline.html", {"tickets": Ticket.objects.order_by("-pk")[:25]})
