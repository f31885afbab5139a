"""Forms of the customer panel: opening a ticket and replying to it.

They declare exactly the fields a customer may send; anything else posted (a `status`,
`customer`, `assignee` or `internal`) is never read.
"""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Field, Layout, Submit
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext_lazy as _

from departments.models import Service
from tickets.attachments import AttachmentsField
from tickets.models import Priority

_url_validator = URLValidator(schemes=["http", "https"])


def clean_site(value):
    """A site address or domain as customers type it: `exemplo.com.br`, `www.x.com/loja`, `https://x.com`.

    Returns it trimmed, without a trailing slash; raises ValidationError for anything that is
    not a public host name (or http/https address).
    """
    value = value.strip()
    if not value:
        return ""
    candidate = value if "://" in value else f"http://{value}"
    try:
        _url_validator(candidate)
    except ValidationError:
        raise ValidationError(
            _("Enter a site address or domain such as exemplo.com.br or https://www.exemplo.com.br."),
            code="invalid_site",
        ) from None
    host = candidate.split("://", 1)[1].split("/", 1)[0].split(":", 1)[0]
    if "." not in host:
        raise ValidationError(
            _("Enter a site address or domain such as exemplo.com.br or https://www.exemplo.com.br."),
            code="invalid_site",
        )
    return value.rstrip("/")


class NewTicketForm(forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=200)
    summary = forms.CharField(
        label=_("Summary"),
        max_length=300,
        help_text=_("One line: what is wrong, or what you need."),
    )
    priority = forms.ChoiceField(
        label=_("Priority"),
        choices=Priority.choices,
        initial=Priority.MEDIUM,
        help_text=_(
            "High: your site or e-mail is down. Medium: something does not work as it should. Low: a question."
        ),
    )
    service = forms.ModelChoiceField(
        label=_("Service"),
        queryset=Service.objects.none(),
        required=False,
        empty_label=_("Not sure / other"),
    )
    site = forms.CharField(
        label=_("Site address or domain"),
        max_length=255,
        required=False,
        help_text=_("Optional. For example exemplo.com.br."),
    )
    body = forms.CharField(
        label=_("Message"),
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=20000,
        help_text=_("Tell us in detail what happened, what you expected, and any error message you saw."),
    )
    attachments = AttachmentsField(label=_("Screenshots"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = Service.objects.active()
        self.fields["site"].widget.attrs.update(inputmode="url", autocomplete="url")
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            "subject",
            "summary",
            Div(
                Div("priority", css_class="col-md-4"),
                Div("service", css_class="col-md-4"),
                Div("site", css_class="col-md-4"),
                css_class="row",
            ),
            "body",
            Field("attachments"),
            Submit("submit", _("Open ticket"), css_class="btn-lg"),
        )

    def clean_site(self):
        return clean_site(self.cleaned_data["site"])


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Your reply"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=20000,
    )
    attachments = AttachmentsField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout("body", "attachments", Submit("submit", _("Send reply")))


class EscalateForm(forms.Form):
    reason = forms.CharField(
        label=_("Why are you escalating?"),
        widget=forms.Textarea(attrs={"rows": 4}),
        min_length=10,
        max_length=2000,
        help_text=_("Tell the supervisors what went wrong: what you expected, and what did not help."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            "reason", Submit("escalate", _("Escalate to a supervisor"), css_class="btn-warning")
        )
