from django.urls import path, re_path

from tickets.views import customer

app_name = "tickets"

REF = r"(?P<reference>[0-9]{6,12})"

urlpatterns = [
    path("", customer.home, name="home"),
    path("tickets/", customer.ticket_list, name="list"),
    re_path(rf"^tickets/{REF}/$", customer.ticket_detail, name="detail"),
    re_path(rf"^tickets/{REF}/files/(?P<pk>[0-9]+)/$", customer.attachment, name="attachment"),
    re_path(
        rf"^tickets/{REF}/files/(?P<pk>[0-9]+)/thumbnail/$", customer.attachment_thumbnail, name="attachment_thumbnail"
    ),
]
