"""Forms of the customer's account pages: profile and additional contacts."""

from allauth.account.models import EmailAddress
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Layout, Submit
from django import forms
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from accounts.models import Contact, User
from departments.models import Department, Membership

MAX_CONTACTS = 10


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["name", "language", "time_zone"]
        help_texts = {
            "language": _("Pages and e-mails use this language. Empty: your browser's language."),
            "time_zone": _("Times are shown in this time zone. Empty: the helpdesk's time zone."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].widget.attrs["autocomplete"] = "name"
        self.fields["language"].choices = [("", _("Browser's language")), *self.fields["language"].choices[1:]]
        self.fields["time_zone"].choices = [("", _("Helpdesk's time zone")), *self.fields["time_zone"].choices[1:]]
        self.helper = FormHelper()
        self.helper.layout = Layout("name", "language", "time_zone", Submit("submit", _("Save profile")))


class ContactForm(forms.ModelForm):
    """A new additional contact of `user`; it stays unconfirmed until the address confirms."""

    class Meta:
        model = Contact
        fields = ["email", "name"]
        labels = {"name": _("Name (optional)")}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["email"].widget.attrs["autocomplete"] = "off"
        self.helper = FormHelper()
        self.helper.form_action = "account_contacts"
        self.helper.layout = Layout("email", "name", Submit("submit", _("Add contact")))

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        if email == self.user.email.lower():
            raise forms.ValidationError(_("This is already your own address."), code="own_address")
        if self.user.contacts.filter(email=email).exists():
            raise forms.ValidationError(_("This address is already one of your contacts."), code="duplicate")
        return email

    def clean(self):
        if self.user.contacts.count() >= MAX_CONTACTS:
            raise forms.ValidationError(
                _("You can have at most %(limit)s additional contacts. Remove one first."),
                code="too_many",
                params={"limit": MAX_CONTACTS},
            )
        return super().clean()

    def save(self, commit=True):
        self.instance.user = self.user
        return super().save(commit=commit)


class InviteAgentForm(forms.ModelForm):
    """The admin's "Invite agent": the account, its verified address and its departments, without a password."""

    departments = forms.ModelMultipleChoiceField(
        label=_("Departments"),
        queryset=Department.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The agent sees and answers the tickets of these departments."),
    )
    supervisor = forms.BooleanField(
        label=_("Supervisor of these departments"),
        required=False,
        help_text=_("Receives their escalations and missed targets, and sees the dashboard."),
    )

    class Meta:
        model = User
        fields = ["email", "name", "language"]
        labels = {"name": _("Full name")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].required = True

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        if (
            User.objects.filter(email__iexact=email).exists()
            or EmailAddress.objects.filter(email__iexact=email).exists()
        ):
            raise forms.ValidationError(_("An account with this address already exists."), code="taken")
        return email

    @transaction.atomic
    def save(self, commit=True):
        user = self.instance
        user.set_unusable_password()
        user.save()
        # The admin vouches for the address: the agent is not stopped at "verify your e-mail".
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
        Membership.objects.bulk_create(
            Membership(department=department, user=user, is_supervisor=self.cleaned_data["supervisor"])
            for department in self.cleaned_data["departments"]
        )
        return user
