"""The rating form: one of the department's answers and an optional comment."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Layout, Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from tickets.enums import SCALE_SCORES

MAX_COMMENT = 2000


class RatingForm(forms.Form):
    CHANGE = _("Change my rating")

    score = forms.ChoiceField(
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Please choose an answer."),
            "invalid_choice": _("Please choose one of the answers offered."),
        },
    )
    comment = forms.CharField(
        label=_("Comment (optional)"),
        required=False,
        max_length=MAX_COMMENT,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What went well, or what should we do better? Our supervisors read every comment."),
    )

    def __init__(self, scale, question, *args, submit_label=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["score"].choices = [(score.value, score.label) for score in SCALE_SCORES[scale]]
        self.fields["score"].label = question
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout("score", "comment", Submit("rate", submit_label or _("Send my rating")))
