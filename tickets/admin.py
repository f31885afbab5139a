from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from tickets.models import (
    Attachment,
    Burst,
    BurstThreshold,
    CannedReply,
    InboundEmail,
    Message,
    Notification,
    Problem,
    Ticket,
    TicketEvent,
)
from tickets.tasks import mail as outbox


class MessageInline(admin.StackedInline):
    model = Message
    extra = 0
    fields = ["created_at", "author", "sender_email", "from_staff", "internal", "source", "body"]
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


class EventInline(admin.TabularInline):
    model = TicketEvent
    extra = 0
    fields = ["created_at", "kind", "actor", "old_value", "new_value", "note"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = [
        "display_reference",
        "subject",
        "requester_email",
        "department",
        "service",
        "priority",
        "status",
        "assignee",
        "updated_at",
    ]
    list_filter = ["status", "priority", "department", "service", ("assignee", admin.EmptyFieldListFilter)]
    search_fields = ["=reference", "subject", "customer__email", "guest_email"]
    list_select_related = ["customer", "department", "service", "assignee"]
    autocomplete_fields = ["customer", "assignee", "merged_into"]
    readonly_fields = [
        "reference",
        "created_at",
        "updated_at",
        "first_response_at",
        "closed_at",
        "closed_on_erasure",
        "last_speaker",
        "first_response_due_at",
        "resolution_due_at",
        "due_at",
        "breached_at",
        "escalated_at",
        "sla_elapsed",
        "sla_clock_started_at",
    ]
    date_hierarchy = "created_at"
    show_full_result_count = False
    inlines = [MessageInline, EventInline]
    fieldsets = [
        (None, {"fields": ["reference", "subject", "summary", "site", "customer", "guest_email"]}),
        (_("Routing"), {"fields": ["department", "service", "priority", "status", "assignee", "merged_into"]}),
        (
            _("Times"),
            {
                "fields": [
                    "created_at",
                    "updated_at",
                    "last_speaker",
                    "first_response_at",
                    "closed_at",
                    "closed_on_erasure",
                    "first_response_due_at",
                    "resolution_due_at",
                    "due_at",
                    "breached_at",
                    "escalated_at",
                    "sla_elapsed",
                    "sla_clock_started_at",
                ]
            },
        ),
    ]

    def save_model(self, request, obj, form, change):
        """A department changed here is a transfer, as in the workspace: recorded in the thread,
        the response clock and the assignee checked, a problem of the old department unlinked."""
        department = obj.department
        if change and "department" in form.changed_data:
            obj.department_id = form.initial["department"]
        super().save_model(request, obj, form, change)
        if obj.department_id != department.pk:
            obj.transfer(department, by=request.user)

    @admin.display(description=_("reference"), ordering="reference")
    def display_reference(self, obj):
        return obj.display_reference

    @admin.display(description=_("customer"))
    def requester_email(self, obj):
        return obj.requester_email


class AttachmentInline(admin.TabularInline):
    model = Attachment
    extra = 0
    fields = ["original_name", "content_type", "size", "width", "height"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["ticket", "author", "sender_email", "from_staff", "internal", "source", "created_at"]
    list_filter = ["internal", "from_staff", "source"]
    search_fields = ["=ticket__reference", "body", "author__email", "sender_email", "message_id"]
    list_select_related = ["ticket", "author"]
    readonly_fields = [
        "ticket",
        "author",
        "sender_email",
        "from_staff",
        "source",
        "message_id",
        "created_at",
        "body_original",
    ]
    show_full_result_count = False
    inlines = [AttachmentInline]


@admin.register(TicketEvent)
class TicketEventAdmin(admin.ModelAdmin):
    list_display = ["ticket", "kind", "actor", "old_value", "new_value", "created_at"]
    list_filter = ["kind"]
    search_fields = ["=ticket__reference"]
    list_select_related = ["ticket", "actor"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    """A record kept by the system: viewable, never edited by hand."""

    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(CannedReply)
class CannedReplyAdmin(admin.ModelAdmin):
    list_display = ["title", "department", "active", "order"]
    list_editable = ["active", "order"]
    list_filter = ["active", "department"]
    search_fields = ["title", "body"]


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["kind", "recipient", "ticket", "state", "attempts", "created_at", "sent_at"]
    list_filter = ["state", "kind"]
    search_fields = ["=ticket__reference", "recipient", "message_id", "esp_message_id"]
    list_select_related = ["ticket"]
    date_hierarchy = "created_at"
    actions = ["send_again"]

    @admin.action(description=_("Send again (failed or bounced only)"))
    def send_again(self, request, queryset):
        count = outbox.send_again(queryset)
        self.message_user(
            request,
            ngettext("%(count)d e-mail queued again.", "%(count)d e-mails queued again.", count) % {"count": count},
        )


@admin.register(InboundEmail)
class InboundEmailAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "sender", "recipient", "subject", "department", "state", "ticket"]
    list_filter = ["state", "department"]
    search_fields = ["sender", "subject", "message_id", "=ticket__reference"]
    list_select_related = ["department", "ticket"]
    exclude = ["raw"]
    date_hierarchy = "received_at"


class ProblemTicketInline(admin.TabularInline):
    model = Ticket
    fk_name = "problem"
    fields = ["reference", "subject", "status", "customer"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Problem)
class ProblemAdmin(admin.ModelAdmin):
    list_display = ["display_reference", "title", "department", "service", "status", "created_at", "solved_at"]
    list_filter = ["status", "department", "service"]
    search_fields = ["title", "description", "public_note"]
    list_select_related = ["department", "service"]
    fields = [
        "title",
        "description",
        "public_note",
        "department",
        "service",
        "status",
        "opened_by",
        "created_at",
        "updated_at",
        "solved_at",
    ]
    readonly_fields = ["opened_by", "created_at", "updated_at", "solved_at"]
    date_hierarchy = "created_at"
    inlines = [ProblemTicketInline]

    def get_readonly_fields(self, request, obj=None):
        """A problem's tickets are of its department: it cannot move while it has any."""
        if obj is not None and obj.tickets.exists():
            return [*self.readonly_fields, "department"]
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        """A status changed here is recorded in the linked tickets' threads, as on the staff page."""
        if not change:
            obj.opened_by = request.user
            super().save_model(request, obj, form, change)
            return
        status = form.cleaned_data["status"]
        obj.status = form.initial.get("status", obj.status)
        super().save_model(request, obj, form, change)
        obj.set_status(status, by=request.user)


@admin.register(BurstThreshold)
class BurstThresholdAdmin(admin.ModelAdmin):
    list_display = ["department", "tickets", "minutes"]
    list_editable = ["tickets", "minutes"]


@admin.register(Burst)
class BurstAdmin(admin.ModelAdmin):
    list_display = ["detected_at", "department", "service", "last_ticket_at", "problem"]
    list_filter = ["department", "service"]
    list_select_related = ["department", "service", "problem"]
    raw_id_fields = ["tickets", "problem"]
    readonly_fields = ["detected_at"]
