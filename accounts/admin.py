from allauth.account.models import EmailAddress
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.emails import send_invitation
from accounts.forms import InviteAgentForm
from accounts.models import Contact, User
from departments.models import Membership
from privacy.admin import erase_accounts


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0
    fields = ["email", "name", "verified_at", "created_at"]
    readonly_fields = ["created_at"]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["department"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "name", "language", "is_active", "is_staff", "is_superuser", "date_joined"]
    list_filter = ["is_active", "is_staff", "is_superuser", "language", "memberships__department"]
    search_fields = ["email", "name", "company", "phone", "contacts__email"]
    inlines = [MembershipInline, ContactInline]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Profile"), {"fields": ["name", "company", "phone", "language", "time_zone"]}),
        (_("Permissions"), {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "name", "password1", "password2"]})]
    filter_horizontal = ["groups", "user_permissions"]
    actions = [erase_accounts, "send_set_password_link"]

    def get_urls(self):
        invite = path("invite/", self.admin_site.admin_view(self.invite_view), name="accounts_user_invite")
        return [invite, *super().get_urls()]

    def invite_view(self, request):
        """Create an agent with a verified address and mail them a link to choose their password."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = InviteAgentForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            user = form.save()
            transaction.on_commit(lambda: send_invitation(user, invited_by=request.user))
            self.message_user(
                request,
                _("%(email)s was invited: they received a link to choose their password.") % {"email": user.email},
                messages.SUCCESS,
            )
            return redirect("admin:accounts_user_change", user.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Invite agent"),
            "form": form,
            "opts": self.opts,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/accounts/user/invite.html", context)

    @admin.action(description=_("Send a link to choose a password"))
    def send_set_password_link(self, request, queryset):
        users = list(queryset.filter(is_active=True))
        for user in users:
            send_invitation(user, invited_by=request.user)
        self.message_user(
            request,
            ngettext("A link was sent to %(count)d user.", "A link was sent to %(count)d users.", len(users))
            % {"count": len(users)},
            messages.SUCCESS,
        )

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:
            # An account the admin creates has an address the admin vouches for.
            EmailAddress.objects.get_or_create(user=obj, email=obj.email, defaults={"verified": True, "primary": True})


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["email", "name", "user", "verified_at", "created_at"]
    list_filter = [("verified_at", admin.EmptyFieldListFilter)]
    search_fields = ["email", "name", "user__email"]
    autocomplete_fields = ["user"]
