"""helpdesk.forms.FormRenderer writes exactly what Django's own renderer writes."""

import re

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from helpdesk.forms import FormRenderer

EVIL = '<b title="x">&\'</b>'


class Everything(forms.Form):
    text = forms.CharField(max_length=20, help_text="help", widget=forms.TextInput(attrs={"placeholder": EVIL}))
    optional = forms.CharField(required=False)
    email = forms.EmailField(widget=forms.EmailInput(attrs={"autofocus": True, "disabled": False}))
    number = forms.IntegerField(min_value=0)
    hidden = forms.CharField(widget=forms.HiddenInput)
    password = forms.CharField(widget=forms.PasswordInput(render_value=True))
    flag = forms.BooleanField(required=False)
    day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    upload = forms.FileField(widget=forms.FileInput(attrs={"accept": "image/*"}))
    clearable = forms.FileField(required=False)  # ClearableFileInput: Django's own template
    choice = forms.ChoiceField(choices=[(1, "One"), ("", "—"), ("<x>", gettext_lazy("Closed")), (0, EVIL)])
    grouped = forms.ChoiceField(choices=[("Web", [("a", "A"), ("b", "B")]), ("Mail", [("c", EVIL)]), ("d", "D")])
    several = forms.MultipleChoiceField(choices=[("a", "A"), ("b", "B"), ("c", "C")])
    radio = forms.ChoiceField(choices=[("a", "A"), ("b", "B")], widget=forms.RadioSelect)  # Django's own
    yes_no = forms.NullBooleanField()
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 4, "data-x": mark_safe("&amp;")}))


def _both(form_class, **kwargs):
    return [form_class(renderer=renderer, **kwargs) for renderer in (DjangoTemplates(), FormRenderer())]


@pytest.mark.parametrize(
    "data",
    [
        None,
        {},
        {"text": EVIL, "optional": "", "email": "a@b", "number": "0", "hidden": EVIL, "password": EVIL,
         "flag": "on", "day": "2026-03-02", "choice": "<x>", "grouped": "c", "several": ["a", "c"],
         "radio": "b", "yes_no": "false", "body": f"\nline one\n{EVIL}"},
        {"text": "x" * 30, "number": "-1", "choice": "nope", "body": ""},
    ],
)  # fmt: skip
def test_every_widget_is_written_as_djangos_templates_write_it(data):
    initial = {"text": mark_safe("<i>safe</i>"), "number": 0, "choice": 0, "several": ["b"], "body": EVIL}
    theirs, ours = _both(Everything, data=data, initial=initial)
    for field in theirs:
        assert str(ours[field.name]) == str(field), field.name


def _without_tokens(html):
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


@pytest.mark.parametrize("who", ["agent", "customer"])
def test_the_pages_with_forms_are_the_same_with_either_renderer(
    settings, time_machine, login, agent, customer, ticket, who
):
    # Frozen: a relative time ("2 minutes ago") must not change between the two requests.
    time_machine.move_to(timezone.now(), tick=False)
    user = {"agent": agent, "customer": customer}[who]
    paths = {
        "agent": [ticket.get_staff_url(), reverse("staff:queue"), f"{reverse('staff:queue')}?q=site&priority=high"],
        "customer": [ticket.get_absolute_url(), reverse("tickets:new"), reverse("tickets:list")],
    }[who]
    client = login(user)
    for path in paths:
        settings.FORM_RENDERER = "django.forms.renderers.DjangoTemplates"
        theirs = client.get(path).content.decode()
        settings.FORM_RENDERER = "helpdesk.forms.FormRenderer"
        ours = client.get(path).content.decode()
        assert "<select" in ours or "<textarea" in ours or "<input" in ours
        assert _without_tokens(ours) == _without_tokens(theirs), path
