from django.contrib import admin
from django.urls import include, path

from accounts.second_factor import admin_login
from helpdesk import views
from tickets.email import webhooks

urlpatterns = [
    path("", include("tickets.urls.customer")),
    path("staff/", include("tickets.urls.staff")),
    path("accounts/data/", include("privacy.urls")),
    path("accounts/", include("accounts.urls")),
    path("admin/login/", admin_login),
    path("admin/", admin.site.urls),
    path("anymail/", include((webhooks.urlpatterns(), "anymail"))),
    path("healthz", views.healthz, name="healthz"),
    path("status", views.status, name="status"),
]

handler500 = views.server_error
