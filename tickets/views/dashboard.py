"""The supervisors' dashboard: the state of their departments now, and the chosen period."""

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from tickets import reports
from tickets.access import staff_required


def _period(value):
    return int(value) if value in {str(days) for days in reports.PERIODS} else reports.DEFAULT_PERIOD


@staff_required
@require_GET
def dashboard(request):
    """Supervisors see the departments they supervise, superusers all; other agents get a 404."""
    if not request.user.is_supervisor:
        raise Http404
    days = _period(request.GET.get("days"))
    report = reports.build(request.user, days)
    return render(
        request,
        "staff/dashboard.html",
        {
            "report": report,
            "periods": reports.PERIODS,
            "days": days,
        },
    )
