from django.urls import path, re_path

from tickets.views import dashboard, export, inbound, staff

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
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("export.csv", export.queue_csv, name="export_csv"),
    path("inbound/", inbound.inbound_list, name="inbound"),
    path("inbound/<int:pk>/accept/", inbound.accept, name="inbound_accept"),
    path("inbound/<int:pk>/discard/", inbound.discard, name="inbound_discard"),
]
