from django.urls import path, re_path

from tickets.views import customer, satisfaction

app_name = "tickets"

REF = r"(?P<reference>[0-9]{6,12})"

urlpatterns = [
    path("", customer.home, name="home"),
    path("tickets/", customer.ticket_list, name="list"),
    path("tickets/new/", customer.new_ticket, name="new"),
    path("tickets/new/<slug:slug>/", customer.new_ticket_form, name="new_department"),
    re_path(rf"^tickets/{REF}/$", customer.ticket_detail, name="detail"),
    re_path(rf"^tickets/{REF}/close/$", customer.close_ticket, name="close"),
    re_path(rf"^tickets/{REF}/escalate/$", customer.escalate_ticket, name="escalate"),
    re_path(rf"^tickets/{REF}/rate/(?P<token>[\w.:-]+)/$", satisfaction.rate, name="rate"),
    re_path(rf"^tickets/{REF}/rate/(?P<token>[\w.:-]+)/thanks/$", satisfaction.thanks, name="rate_thanks"),
    re_path(rf"^tickets/{REF}/files/(?P<pk>[0-9]+)/$", customer.attachment, name="attachment"),
    re_path(
        rf"^tickets/{REF}/files/(?P<pk>[0-9]+)/thumbnail/$", customer.attachment_thumbnail, name="attachment_thumbnail"
    ),
]
