from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = _("Tickets")

    def ready(self):
        from anymail.signals import inbound, tracking
        from django.db.models.signals import pre_delete

        from tickets import checks, choices, notify  # noqa: F401 - checks register themselves, notify receives the tickets' signals
        from tickets.email.inbound import receive_from_provider
        from tickets.email.tracking import record_tracking_event
        from tickets.models import Ticket, rollup
        from tickets.tasks import problems  # noqa: F401 - receives the problems' broadcast_started

        tracking.connect(record_tracking_event, dispatch_uid="tickets.email.tracking")
        inbound.connect(receive_from_provider, dispatch_uid="tickets.email.inbound")
        choices.connect_signals()
        pre_delete.connect(rollup.forget_deleted_ticket, sender=Ticket, dispatch_uid="tickets.rollup.deleted")
