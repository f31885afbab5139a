from helpdesk.brand import brand


def helpdesk(request):
    return brand()
