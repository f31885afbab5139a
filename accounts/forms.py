"""Forms of the account pages: sign-up's extra fields, profile, additional contacts, the admin's invitation."""

import re

from allauth.account.models import EmailAddress
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Layout, Submit
from django import forms
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from accounts.models import Contact, User
from departments.models import Department, Membership

MAX_CONTACTS = 10
PHONE_CHARACTERS = re.compile(r"^\+?[\d\s().-]+$")


def clean_phone(value):
    """A phone number as typed, with 8 to 15 digits (E.164 allows 15)."""
    value = " ".join(value.split())
    if value and (not PHONE_CHARACTERS.match(value) or not 8 <= sum(c.isdigit() for c in value) <= 15):
        raise forms.ValidationError(
            _("Enter a phone number with its area code, for example +55 11 91234-5678."), code="phone"
        )
    return value


class PersonFields(forms.Form):
    """Name, company and phone: asked at sign-up and edited on the profile."""

    name = forms.CharField(label=_("Full name"), max_length=150)
    company = forms.CharField(label=_("Company (optional)"), max_length=150, required=False)
    phone = forms.CharField(label=_("Phone (optional)"), max_length=40, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field, autocomplete in (("name", "name"), ("company", "organization"), ("phone", "tel")):
            self.fields[field].widget.attrs["autocomplete"] = autocomplete
        self.fields["phone"].widget.input_type = "tel"

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError(_("Please tell us your name."), code="required")
        return name

    def clean_phone(self):
        return clean_phone(self.cleaned_data["phone"])


class SignupForm(PersonFields):
    """allauth's sign-up with the person's name first (ACCOUNT_SIGNUP_FORM_CLASS)."""

    field_order = ["name", "company", "phone"]

    def signup(self, request, user):
        for field in ("name", "company", "phone"):
            setattr(user, field, self.cleaned_data[field])
        user.save(update_fields=["name", "company", "phone"])


class ProfileForm(PersonFields, forms.ModelForm):
    class Meta:
        model = User
        fields = ["name", "company", "phone", "language", "time_zone"]
        help_texts = {
            "language": _("Pages and e-mails use this language. Empty: your browser's language."),
            "time_zone": _("Times are shown in this time zone. Empty: the helpdesk's time zone."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = [("", _("Browser's language")), *self.fields["language"].choices[1:]]
        self.fields["time_zone"].choices = [("", _("Helpdesk's time zone")), *self.fields["time_zone"].choices[1:]]
        self.helper = FormHelper()
        self.helper.layout = Layout(
            "name", "company", "phone", "language", "time_zone", Submit("submit", _("Save profile"))
        )


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
