from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DepartmentsConfig(AppConfig):
    name = "departments"
    verbose_name = _("Departments")

    def ready(self):
        from tickets.sla import connect_signals

        # Edits of hours, holidays and targets reach every process's response clocks at once.
        connect_signals()
