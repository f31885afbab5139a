from django.conf import settings


def helpdesk(request):
    return {"HELPDESK_NAME": settings.HELPDESK_NAME}
