from django.urls import path, re_path

from tickets.views import dashboard, export, inbound, problems, staff

app_name = "staff"

REF = r"(?P<reference>[0-9]{6,12})"

urlpatterns = [
    path("", staff.queue, name="queue"),
    re_path(rf"^tickets/{REF}/$", staff.ticket, name="ticket"),
    path("bulk/", staff.bulk, name="bulk"),
    re_path(rf"^tickets/{REF}/details/$", staff.details, name="details"),
    re_path(rf"^tickets/{REF}/assign/$", staff.assign, name="assign"),
    re_path(rf"^tickets/{REF}/transfer/$", staff.transfer, name="transfer"),
    re_path(rf"^tickets/{REF}/merge/$", staff.merge, name="merge"),
    re_path(rf"^tickets/{REF}/problem/$", problems.ticket_problem, name="ticket_problem"),
    re_path(rf"^tickets/{REF}/similar/$", problems.ticket_similar, name="ticket_similar"),
    path("problems/", problems.problem_list, name="problems"),
    path("problems/new/", problems.problem_new, name="problem_new"),
    path("problems/export.csv", problems.problems_csv, name="problems_csv"),
    path("problems/<int:pk>/", problems.problem_detail, name="problem"),
    path("problems/<int:pk>/tickets/", problems.problem_add_ticket, name="problem_add_ticket"),
    re_path(rf"^problems/(?P<pk>[0-9]+)/tickets/{REF}/unlink/$", problems.problem_unlink, name="problem_unlink"),
    path("problems/<int:pk>/reply/", problems.problem_reply, name="problem_reply"),
    path("problems/<int:pk>/solve/", problems.problem_solve, name="problem_solve"),
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("export.csv", export.queue_csv, name="export_csv"),
    path("inbound/", inbound.inbound_list, name="inbound"),
    path("inbound/<int:pk>/accept/", inbound.accept, name="inbound_accept"),
    path("inbound/<int:pk>/discard/", inbound.discard, name="inbound_discard"),
]
