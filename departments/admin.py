from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from departments.forms import DepartmentForm
from departments.models import Department, Holiday, Membership, ResponseTarget, Service
from tickets.models import BurstThreshold


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ["user"]


class ResponseTargetInline(admin.TabularInline):
    model = ResponseTarget
    extra = 0
    max_num = 3


class BurstThresholdInline(admin.StackedInline):
    model = BurstThreshold
    extra = 0
    max_num = 1


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 0


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "email",
        "active",
        "order",
        "business_hours_only",
        "auto_close_days",
        "member_count",
        "supervisor_names",
    ]
    list_editable = ["active", "order"]
    list_filter = ["active", "business_hours_only", "accepts_anyone", "satisfaction_survey"]
    search_fields = ["name", "email", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    form = DepartmentForm
    inlines = [MembershipInline, ResponseTargetInline, HolidayInline, BurstThresholdInline]
    fieldsets = [
        (None, {"fields": ["name", "slug", "description", "description_en", "email", "active", "order"]}),
        (_("Inbound mail"), {"fields": ["accepts_anyone"]}),
        (_("Response targets"), {"fields": ["timezone", "business_hours_only", "auto_close_days"]}),
        (
            _("Business hours"),
            {
                "fields": DepartmentForm.WEEK,
                "description": _(
                    "The periods of each day in the department's time zone, such as 08:00-12:00, 13:00-18:00. "
                    "Empty: closed that day."
                ),
            },
        ),
        (
            _("Satisfaction"),
            {
                "fields": [
                    "satisfaction_survey",
                    "satisfaction_scale",
                    "satisfaction_question_pt",
                    "satisfaction_question_en",
                ]
            },
        ),
        (
            _("Personal data"),
            {"fields": ["attachment_retention_days", "raw_mail_retention_days", "erasure_keeps_text"]},
        ),
    ]

    @admin.display(description=_("members"))
    def member_count(self, obj):
        return obj.memberships.count()

    @admin.display(description=_("supervisors"))
    def supervisor_names(self, obj):
        return ", ".join(str(user) for user in obj.supervisors()) or _("None: escalations go to its agents")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "GET" and (department := self.get_object(request, object_id)) is not None:
            self._warn_without_supervisor(request, department)
        return super().change_view(request, object_id, form_url, extra_context)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        form.save_week()
        self._warn_without_supervisor(request, form.instance)

    def _warn_without_supervisor(self, request, department):
        if not department.supervisors().exists():
            self.message_user(
                request,
                _(
                    "%(department)s has no supervisor: its escalations and missed targets go to its agents, "
                    "or to the superusers when it has none. Tick “supervisor” on a member below."
                )
                % {"department": department.name},
                messages.WARNING,
            )


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["name", "active", "order"]
    list_editable = ["active", "order"]
    search_fields = ["name"]
