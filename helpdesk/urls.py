from anymail import urls as anymail_urls
from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from accounts.second_factor import admin_login
from helpdesk import views


def _provider(pattern):
    # "amazon_ses_inbound_webhook", "mandrill_webhook" -> "amazon_ses", "mandrill"
    return pattern.name.removesuffix("_webhook").removesuffix("_inbound").removesuffix("_tracking")


webhooks = [pattern for pattern in anymail_urls.urlpatterns if _provider(pattern) in settings.MAIL_WEBHOOK_PROVIDERS]

urlpatterns = [
    path("", include("tickets.urls.customer")),
    path("staff/", include("tickets.urls.staff")),
    path("accounts/data/", include("privacy.urls")),
    path("accounts/", include("accounts.urls")),
    path("admin/login/", admin_login),
    path("admin/", admin.site.urls),
    path("anymail/", include((webhooks, "anymail"))),
    path("healthz", views.healthz, name="healthz"),
]
