from django.contrib import admin
from django.urls import include, path

from helpdesk import views
from tickets.email import webhooks

urlpatterns = [
    path("", include("tickets.urls.customer")),
    path("staff/", include("tickets.urls.staff")),
    path("accounts/", include("accounts.urls")),
    path("admin/", admin.site.urls),
    path("anymail/", include((webhooks.urlpatterns(), "anymail"))),
    path("healthz", views.healthz, name="healthz"),
]
