"""A limit on the size of what a browser posts, checked before the body is read."""

from django.conf import settings
from django.shortcuts import render


class RequestSizeLimitMiddleware:
    """Refuse a post larger than the files of one message may be, before reading a byte of it.

    Browsers normally stop sooner (static/js/attachments.js checks each file); this is for the
    rest. Mail webhooks are exempt: a provider posts whole messages, limited by INBOUND_MAX_BYTES.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.UPLOAD_MAX_REQUEST_BYTES and not request.path.startswith("/anymail/"):
            return render(request, "413.html", {"limit": settings.UPLOAD_MAX_REQUEST_BYTES}, status=413)
        return self.get_response(request)
