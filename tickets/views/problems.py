"""Recurring problems on the staff side: the list, a problem's page with its tickets, history and
actions, linking from the workspace and the queue, and the CSV export.

Every problem is reached through `staff_problem_or_404` (Problem.objects.staff_visible_to) and every
ticket through `staff_ticket_or_404` or Ticket.objects.staff_visible_to: anything of another
department is a 404. Actions are POSTs that call one model method and redirect.
"""

import csv

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tickets.access import staff_problem_or_404, staff_required, staff_ticket_or_404
from tickets.forms.problems import (
    AddTicketForm,
    BroadcastForm,
    LinkForm,
    NewProblemForm,
    ProblemFilterForm,
    ProblemForm,
)
from tickets.models import Burst, Problem, Ticket
from tickets.models.problem import works_in
from tickets.problems import similar_tickets
from tickets.views.export import BOM, _Line, _time, neutralise

PAGE_SIZE = 25
TICKETS_SHOWN = 200
HISTORY_SHOWN = 50


@staff_required
@require_GET
def problem_list(request):
    filters = ProblemFilterForm(request.user, request.GET or None)
    problems = filters.apply(
        Problem.objects.staff_visible_to(request.user).with_ticket_counts().select_related("department", "service")
    )
    page = Paginator(problems.order_by("-created_at", "-pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "staff/problems/list.html",
        {"filters": filters, "page": page, "problems": page.object_list, "query": query.urlencode()},
    )


@staff_required
@require_http_methods(["GET", "POST"])
def problem_new(request):
    """A new problem; `?ticket=<reference>` starts it from a ticket, `?burst=<id>` from a burst's tickets."""
    tickets, initial, burst = _starting_tickets(request)
    if burst is not None:
        initial.update(department=burst.department_id, service=burst.service_id)
    elif tickets:
        first = tickets[0]
        initial.update(title=first.subject, department=first.department_id, service=first.service_id)
    form = NewProblemForm(request.user, request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        department = data["department"]
        problem = Problem.open_from(
            by=request.user,
            department=department,
            title=data["title"],
            service=data["service"],
            description=data["description"],
            public_note=data["public_note"],
            tickets=[ticket for ticket in tickets if ticket.department_id == department.pk and not ticket.problem_id],
        )
        if burst is not None:
            Burst.objects.filter(pk=burst.pk).update(problem=problem)
        messages.success(request, _("Problem %(problem)s opened.") % {"problem": problem.display_reference})
        return redirect(problem)
    return render(request, "staff/problems/new.html", {"form": form, "tickets": tickets, "burst": burst})


def _starting_tickets(request):
    """The tickets a new problem starts with, among those the user works (others are not listed)."""
    source = request.POST if request.method == "POST" else request.GET
    visible = Ticket.objects.staff_visible_to(request.user).select_related("problem", "department")
    burst_id = source.get("burst", "")
    if burst_id.isdigit():
        burst = Burst.objects.select_related("department").filter(pk=int(burst_id)).first()
        if burst is not None and works_in(request.user, burst.department_id):
            return list(visible.filter(pk__in=burst.open_tickets().values("pk")).order_by("created_at")), {}, burst
    reference = source.get("ticket", "")
    if reference.isdigit():
        return list(visible.filter(reference=int(reference))), {}, None
    return [], {}, None


@staff_required
@require_http_methods(["GET", "POST"])
def problem_detail(request, pk):
    """The problem's page; a POST is its edit form (text, service, status)."""
    problem = staff_problem_or_404(request.user, pk)
    form = ProblemForm(request.POST or None, instance=Problem.objects.get(pk=problem.pk))
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            problem.update(by=request.user, **{name: data[name] for name in ProblemForm.Meta.fields})
            messages.success(request, _("Problem saved."))
            return redirect(problem)
        messages.error(request, _("Nothing was saved. Please correct the fields marked below."))
    return _detail(request, problem, form=form)


def _detail(request, problem, **forms):
    user = request.user
    tickets = (
        Ticket.objects.staff_visible_to(user)
        .filter(problem=problem)
        .select_related("customer", "assignee")
        .order_by("-created_at")
    )
    broadcast = problem.current_broadcast()
    last_broadcast = broadcast or problem.broadcasts.first()
    return render(
        request,
        "staff/problems/detail.html",
        {
            "problem": problem,
            "tickets": tickets[:TICKETS_SHOWN],
            "ticket_count": tickets.count(),
            "open_count": tickets.open().count(),
            "history": problem.history(HISTORY_SHOWN),
            "broadcast": broadcast,
            "progress": last_broadcast.progress() if last_broadcast else None,
            "last_broadcast": last_broadcast,
            "form": forms.get("form") or ProblemForm(instance=problem),
            "add_form": forms.get("add_form") or AddTicketForm(user),
            "reply_form": forms.get("reply_form") or BroadcastForm(),
            "solve_form": forms.get("solve_form") or BroadcastForm(solve=True),
        },
    )


@staff_required
@require_POST
def problem_add_ticket(request, pk):
    problem = staff_problem_or_404(request.user, pk)
    form = AddTicketForm(request.user, request.POST)
    if form.is_valid():
        ticket = form.cleaned_data["reference"]
        try:
            problem.link(ticket, by=request.user)
        except ValidationError as error:
            form.add_error("reference", error)
        else:
            messages.success(request, _("%(reference)s linked.") % {"reference": ticket.display_reference})
            return redirect(problem)
    return _detail(request, problem, add_form=form)


@staff_required
@require_POST
def problem_unlink(request, pk, reference):
    problem = staff_problem_or_404(request.user, pk)
    ticket = staff_ticket_or_404(request.user, reference)
    if problem.unlink(ticket, by=request.user):
        messages.success(request, _("%(reference)s unlinked.") % {"reference": ticket.display_reference})
    return redirect(problem)


@staff_required
@require_POST
def problem_reply(request, pk):
    problem = staff_problem_or_404(request.user, pk)
    form = BroadcastForm(request.POST)
    if not form.is_valid():
        return _detail(request, problem, reply_form=form)
    broadcast = problem.reply_to_all(by=request.user, body=form.cleaned_data["body"])
    messages.success(
        request,
        _("The reply goes to %(count)s open tickets; each customer gets it in their own ticket.")
        % {"count": broadcast.total},
    )
    return redirect(problem)


@staff_required
@require_POST
def problem_solve(request, pk):
    problem = staff_problem_or_404(request.user, pk)
    form = BroadcastForm(request.POST, solve=True)
    if not form.is_valid():
        return _detail(request, problem, solve_form=form)
    broadcast = problem.solve(by=request.user, body=form.cleaned_data["body"], close=form.cleaned_data["close"])
    messages.success(
        request,
        _("Problem solved. The solution goes to %(count)s open tickets.") % {"count": broadcast.total},
    )
    return redirect(problem)


@staff_required
@require_POST
def ticket_problem(request, reference):
    """The workspace's problem card: link the ticket to a problem, or unlink it."""
    ticket = staff_ticket_or_404(request.user, reference)
    if request.POST.get("action") == "unlink":
        if ticket.problem_id:
            problem = get_object_or_404(Problem.objects.staff_visible_to(request.user), pk=ticket.problem_id)
            problem.unlink(ticket, by=request.user)
            messages.success(request, _("Unlinked from %(problem)s.") % {"problem": problem.display_reference})
        return redirect(ticket.get_staff_url())
    form = LinkForm(ticket, request.user, request.POST)
    if not form.is_valid():
        messages.error(request, _("Nothing was changed: choose one of the department's open problems."))
        return redirect(ticket.get_staff_url())
    problem = form.cleaned_data["problem"]
    try:
        problem.link(ticket, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Linked to %(problem)s.") % {"problem": problem.display_reference})
    return redirect(ticket.get_staff_url())


@staff_required
@require_GET
def ticket_similar(request, reference):
    """The open tickets most like this one, with their problems. The workspace's script puts the list
    in the problem card after the page has loaded (asking with X-Requested-With); without the script
    the card links here, to the same list on a page of its own."""
    ticket = staff_ticket_or_404(request.user, reference)
    context = {"ticket": ticket, "similar": similar_tickets(ticket, request.user)}
    if request.headers.get("X-Requested-With") == "fetch":
        response = render(request, "staff/_similar_tickets.html", context)
    else:
        response = render(request, "staff/similar_tickets.html", context)
    patch_vary_headers(response, ["X-Requested-With"])
    return response


@staff_required
@require_GET
def problems_csv(request):
    filters = ProblemFilterForm(request.user, request.GET or None)
    problems = filters.apply(
        Problem.objects.staff_visible_to(request.user).with_ticket_counts().select_related("department", "service")
    ).order_by("-created_at", "-pk")
    now = timezone.now()
    columns = [
        (_("Problem"), lambda p: p.display_reference),
        (_("Title"), lambda p: p.title),
        (_("Department"), lambda p: p.department.name),
        (_("Service"), lambda p: p.service.name if p.service_id else ""),
        (_("Status"), lambda p: p.get_status_display()),
        (_("Tickets"), lambda p: p.ticket_count),
        (_("Opened"), lambda p: _time(p.created_at)),
        (_("Solved"), lambda p: _time(p.solved_at)),
        (_("Hours open"), lambda p: round(p.time_open(now).total_seconds() / 3600, 1)),
    ]
    writer = csv.writer(_Line())
    language = translation.get_language()

    def lines():
        with translation.override(language):
            yield BOM + writer.writerow([header for header, _value in columns])
            for problem in problems.iterator(chunk_size=500):
                yield writer.writerow([neutralise(value(problem)) for _header, value in columns])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="problems-{timezone.localtime(now):%Y%m%d-%H%M}.csv"'
    return response
