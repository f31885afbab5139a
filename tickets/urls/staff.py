from django.urls import path, re_path

from tickets.views import staff

app_name = "staff"

REF = r"(?P<reference>[0-9]{6,12})"

urlpatterns = [
    path("", staff.queue, name="queue"),
    re_path(rf"^tickets/{REF}/$", staff.ticket, name="ticket"),
]
