import zoneinfo

from django.utils import timezone, translation


class UserPreferencesMiddleware:
    """Activates the logged-in user's language and time zone.

    Runs after LocaleMiddleware (browser language or the switcher's cookie) and overrides
    it with the preference saved on the account, which the switcher also updates.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            if user.language:
                translation.activate(user.language)
                request.LANGUAGE_CODE = translation.get_language()
            if user.time_zone:
                try:
                    timezone.activate(zoneinfo.ZoneInfo(user.time_zone))
                except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                    timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
