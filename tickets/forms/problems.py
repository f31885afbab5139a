"""Forms of recurring problems: opening and editing one, tying tickets to it, writing to all of them.

Each form checks what it is given against what the agent may touch (Problem.objects.staff_visible_to,
Ticket.objects.staff_visible_to); the views call one model method with the cleaned values.
"""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from departments.models import Department, Service
from tickets.models import Problem, ProblemStatus, Ticket
from tickets.models.rules import StaffAccess

BODY_MAX = 20000


def _helper(label, css="btn-primary"):
    helper = FormHelper()
    helper.form_tag = False
    button = Submit("submit", label)
    button.field_classes = f"btn {css}"  # crispy's own "btn-primary" would fight an outline style
    helper.add_input(button)
    return helper


def _services(current=None):
    return Service.objects.filter(Q(active=True) | Q(pk=current))


class ProblemForm(forms.ModelForm):
    """Editing a problem: its text, service and status."""

    class Meta:
        model = Problem
        fields = ["title", "service", "status", "description", "public_note"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4}),
            "public_note": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = _services(self.instance.service_id)
        self.helper = _helper(_("Save"), "btn-outline-primary")


class NewProblemForm(forms.ModelForm):
    """A new problem, in one of the agent's departments; the tickets it starts with come from the view."""

    class Meta:
        model = Problem
        fields = ["title", "department", "service", "description", "public_note"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4}),
            "public_note": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        departments = Department.objects.active().filter(StaffAccess(user).condition("pk"))
        self.fields["department"].queryset = departments
        self.fields["service"].queryset = _services()
        self.helper = _helper(_("Open the problem"))


class LinkForm(forms.Form):
    """The workspace: tie the ticket to one of its department's active problems."""

    problem = forms.ModelChoiceField(label=_("Problem"), queryset=None, empty_label=_("Choose a problem…"))

    def __init__(self, ticket, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["problem"].queryset = (
            Problem.objects.staff_visible_to(user).active().filter(department_id=ticket.department_id)
        )


class AddTicketForm(forms.Form):
    """The problem page: tie one more ticket, by its reference."""

    reference = forms.CharField(
        label=_("Ticket"),
        max_length=20,
        widget=forms.TextInput(attrs={"placeholder": "#123456", "inputmode": "numeric", "autocomplete": "off"}),
    )

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.helper = _helper(_("Link"), "btn-outline-primary")

    def clean_reference(self):
        value = self.cleaned_data["reference"].strip().removeprefix("#").strip()
        ticket = None
        if value.isdigit():
            ticket = Ticket.objects.staff_visible_to(self.user).filter(reference=int(value)).first()
        if ticket is None:
            raise ValidationError(
                _("There is no ticket #%(reference)s in your departments."),
                code="problem_unknown_ticket",
                params={"reference": value},
            )
        return ticket


class BroadcastForm(forms.Form):
    """A text for every linked ticket: a reply to all, or the solution."""

    body = forms.CharField(
        label=_("Message"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=BODY_MAX,
        error_messages={"required": _("Write the message first.")},
    )

    def __init__(self, *args, solve=False, **kwargs):
        super().__init__(*args, **kwargs)
        if solve:
            self.fields["body"].label = _("Solution")
            self.fields["close"] = forms.BooleanField(
                label=_("Close the tickets (otherwise they become Answered)"), required=False
            )
            self.helper = _helper(_("Solve and tell every customer"), "btn-success")
        else:
            self.helper = _helper(_("Send to every linked ticket"))


class ProblemFilterForm(forms.Form):
    """The list's filters; anything unknown is ignored."""

    q = forms.CharField(label=_("Search"), max_length=200, required=False)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("active", _("Not solved")), *ProblemStatus.choices, ("all", _("All"))],
    )
    department = forms.ModelChoiceField(label=_("Department"), queryset=None, required=False, empty_label=_("All"))
    service = forms.ModelChoiceField(
        label=_("Service"), queryset=Service.objects.all(), required=False, empty_label=_("Any")
    )

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        departments = Department.objects.all().filter(StaffAccess(user).condition("pk"))
        self.fields["department"].queryset = departments
        for field in self.fields.values():
            kind = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs["class"] = f"{kind} {kind}-sm"

    def apply(self, problems):
        data = self.cleaned_data if self.is_valid() else {}
        status = data.get("status") or "active"
        if status == "active":
            problems = problems.active()
        elif status != "all":
            problems = problems.filter(status=status)
        if data.get("department"):
            problems = problems.filter(department=data["department"])
        if data.get("service"):
            problems = problems.filter(service=data["service"])
        if data.get("q"):
            problems = problems.filter(Q(title__icontains=data["q"]) | Q(description__icontains=data["q"]))
        return problems
