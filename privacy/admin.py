from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from privacy.erasure import erase, erasure_refusal
from privacy.models import DataExport, Erasure


@admin.action(description=_("Erase the selected customers' accounts (irreversible)"), permissions=["change"])
def erase_accounts(modeladmin, request, queryset):
    """The admin's side of a customer's erasure: the same erase(), after a confirmation page."""
    users = list(queryset)
    if request.POST.get("confirmed") != "yes":
        return TemplateResponse(
            request,
            "admin/privacy/erase_confirmation.html",
            {
                **modeladmin.admin_site.each_context(request),
                "title": _("Erase accounts"),
                "opts": modeladmin.model._meta,
                "accounts": [(user, erasure_refusal(user)) for user in users],
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            },
        )
    erased = 0
    for user in users:
        try:
            erase(user, by=request.user)
        except ValidationError as error:
            modeladmin.message_user(request, f"{user}: {' '.join(error.messages)}", messages.ERROR)
        else:
            erased += 1
    if erased:
        modeladmin.message_user(
            request,
            ngettext("%(count)d account was erased.", "%(count)d accounts were erased.", erased) % {"count": erased},
            messages.SUCCESS,
        )
    return None


@admin.register(Erasure)
class ErasureAdmin(admin.ModelAdmin):
    """The record of erasures: read-only, never deleted (who, when, what)."""

    list_display = ["user", "erased_at", "erased_by", "by_customer", "tickets_closed", "files_removed"]
    list_filter = ["by_customer"]
    readonly_fields = [field.name for field in Erasure._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(DataExport)
class DataExportAdmin(admin.ModelAdmin):
    list_display = ["user", "state", "progress", "requested_at", "finished_at", "expires_at"]
    list_filter = ["state"]
    search_fields = ["user__email"]
    readonly_fields = ["user", "state", "progress", "size", "requested_at", "finished_at", "expires_at"]
    exclude = ["file"]

    def has_add_permission(self, request):
        return False
