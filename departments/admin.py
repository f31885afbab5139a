from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from departments.models import BusinessHours, Department, Holiday, Membership, ResponseTarget, Service


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ["user"]


class ResponseTargetInline(admin.TabularInline):
    model = ResponseTarget
    extra = 0
    max_num = 3


class BusinessHoursInline(admin.TabularInline):
    model = BusinessHours
    extra = 0


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 0


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "active", "order", "business_hours_only", "auto_close_days", "member_count"]
    list_editable = ["active", "order"]
    list_filter = ["active", "business_hours_only", "accepts_anyone", "satisfaction_survey"]
    search_fields = ["name", "email", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline, ResponseTargetInline, BusinessHoursInline, HolidayInline]
    fieldsets = [
        (None, {"fields": ["name", "slug", "description", "email", "active", "order"]}),
        (_("Inbound mail"), {"fields": ["accepts_anyone"]}),
        (_("Response targets"), {"fields": ["timezone", "business_hours_only", "auto_close_days"]}),
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


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["name", "active", "order"]
    list_editable = ["active", "order"]
    search_fields = ["name"]
