"""The supervisors' dashboard: the state of their departments this morning, and the chosen period."""

from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from tickets import problems, reports
from tickets.access import staff_required
from tickets.charts import stacked_bars


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
    charts = []
    for chart_id, title, volume in (
        ("by-service", _("New tickets by service"), report.volume_by_service),
        ("by-department", _("New tickets by department"), report.volume_by_department),
    ):
        charts.append(
            stacked_bars(
                chart_id,
                title,
                volume["buckets"],
                volume["series"],
                volume["names"],
                volume["values"],
                daily=volume["daily"],
            )
        )
    return render(
        request,
        "staff/dashboard.html",
        {
            "report": report,
            "charts": charts,
            "periods": reports.PERIODS,
            "days": days,
            "problem_rows": problems.dashboard_problems(request.user, days),
        },
    )
