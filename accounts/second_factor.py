"""The second factor (django-allauth's MFA: TOTP and recovery codes).

Optional for customers; with MFA_REQUIRED_FOR_STAFF, agents, supervisors and admins must set up
an authenticator app before any other page, and cannot remove it. The Django admin logs in
through the same allauth login, so it never skips the second factor.
"""

from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect, resolve_url
from django.urls import reverse
from django.utils.translation import gettext as _


def is_staff_account(user):
    """Whoever works tickets or opens the admin: agents, supervisors, superusers, admin access."""
    return user.is_staff or user.is_superuser or user.is_agent


def second_factor_required(user):
    return settings.MFA_REQUIRED_FOR_STAFF and user.is_authenticated and is_staff_account(user)


def has_totp(user):
    return Authenticator.objects.filter(user_id=user.pk, type=Authenticator.Type.TOTP).exists()


class MFAAdapter(DefaultMFAAdapter):
    def can_delete_authenticator(self, authenticator):
        # Staff who must have a second factor may replace nothing by nothing.
        if authenticator.type == Authenticator.Type.TOTP and second_factor_required(authenticator.user):
            return False
        return super().can_delete_authenticator(authenticator)

    def get_totp_issuer(self):
        return settings.HELPDESK_NAME


class StaffSecondFactorMiddleware:
    """With MFA_REQUIRED_FOR_STAFF, a staff account without TOTP sees only the pages that set it up."""

    # Paths that stay open: setting up the factor, logging out, switching language, static files.
    OPEN_PATHS = ("/accounts/2fa/", "/accounts/logout/", "/accounts/reauthenticate/", "/accounts/language/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and second_factor_required(user)
            and not request.path.startswith((*self.OPEN_PATHS, settings.STATIC_URL, "/" + settings.STATIC_URL))
            and request.path != reverse("healthz")
            and not has_totp(user)
        ):
            messages.warning(
                request, _("Staff accounts need a second factor. Set up an authenticator app to continue.")
            )
            return redirect("mfa_activate_totp")
        return self.get_response(request)


def admin_login(request):
    """The admin's login page sends to allauth's, which asks for the second factor."""
    if request.user.is_authenticated and request.user.is_staff:
        return redirect(request.GET.get("next") or "admin:index")
    return redirect_to_login(request.GET.get("next") or reverse("admin:index"), resolve_url(settings.LOGIN_URL))
