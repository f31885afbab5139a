"""The customer's "Your data" page: a copy of their data, and erasing their account."""

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.db import transaction
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from helpdesk.ratelimit import limit_posts
from privacy.emails import send_erasure_confirmation
from privacy.erasure import erase, erasure_refusal
from privacy.models import DataExport
from privacy.tasks import build_data_export

ERASURE_SALT = "privacy.erasure.confirm"
ERASURE_MAX_AGE = 2 * 24 * 3600


@login_required
@require_GET
def data(request):
    export = request.user.data_exports.first()
    return render(
        request,
        "privacy/data.html",
        {
            "export": export,
            "downloadable": export is not None and export.is_downloadable(),
            "erasure_refusal": erasure_refusal(request.user),
        },
    )


@login_required
@require_POST
@limit_posts("data_request")
def export_request(request):
    if request.user.data_exports.in_progress().exists():
        messages.info(request, _("Your copy is already being prepared."))
        return redirect("privacy:data")
    export = DataExport.objects.create(user=request.user)
    transaction.on_commit(lambda: build_data_export.delay(export.pk))
    messages.success(request, _("We are preparing a copy of your data. We will e-mail you a link when it is ready."))
    return redirect("privacy:data")


@login_required
@require_GET
def export_download(request, token):
    """The e-mailed link: only for the logged-in owner, only until it expires."""
    export = get_object_or_404(DataExport, token=token, user=request.user)
    if not export.is_downloadable():
        return render(request, "privacy/export_expired.html", status=410)
    filename = f"{request.user.pk}-data-{timezone.localtime(export.finished_at):%Y-%m-%d}.zip"
    response = FileResponse(
        export.file.open("rb"), as_attachment=True, filename=filename, content_type="application/zip"
    )
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
@limit_posts("data_request")
def erase_request(request):
    refusal = erasure_refusal(request.user)
    if refusal:
        messages.error(request, refusal)
        return redirect("privacy:data")
    send_erasure_confirmation(request.user, erasure_token(request.user))
    messages.success(
        request,
        _("We sent a confirmation link to %(email)s. Your account is erased only when you confirm there.")
        % {"email": request.user.email},
    )
    return redirect("privacy:data")


def erasure_token(user):
    """The signed token of the confirmation link: who asked, and when."""
    return signing.dumps(
        {"id": user.pk, "address": _address_check(user), "at": timezone.now().isoformat()}, salt=ERASURE_SALT
    )


def _address_check(user):
    # The link dies if the address changes, without writing the address into the link (and the logs).
    return salted_hmac(ERASURE_SALT, user.email).hexdigest()[:20]


def _erasure_request(token, user):
    """When the link's owner asked for the erasure, or None for a bad, expired or someone else's link."""
    try:
        payload = signing.loads(token, salt=ERASURE_SALT, max_age=ERASURE_MAX_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(payload, dict) or payload.get("id") != user.pk or payload.get("address") != _address_check(user):
        return None
    return parse_datetime(payload.get("at") or "")


@login_required
@require_http_methods(["GET", "POST"])
def erase_confirm(request, token):
    """The e-mailed link: the customer confirms (a POST, so a mail scanner cannot) while logged in."""
    requested_at = _erasure_request(token, request.user)
    if requested_at is None:
        return render(request, "privacy/erase_confirm.html", {"invalid": True}, status=404)
    refusal = erasure_refusal(request.user)
    if refusal:
        return render(request, "privacy/erase_confirm.html", {"refusal": refusal}, status=409)
    if request.method == "POST":
        number = request.user.pk
        erase(request.user, by=request.user, requested_at=requested_at)
        logout(request)
        return render(request, "privacy/erased.html", {"number": number})
    return render(request, "privacy/erase_confirm.html", {"tickets": request.user.tickets.count()})
