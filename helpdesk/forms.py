"""The form renderer (settings.FORM_RENDERER): Django's, with the everyday widgets written in Python.

Django draws every widget through templates: an <input> is input.html plus attrs.html, a
<select> one more template per option. On the workspace its five small forms cost as much as
the rest of the page. FormRenderer writes the same markup, character for character, for
<input>, <select> and <textarea> (helpdesk/tests/test_forms.py compares both over the project's
forms and odd values); any other template goes to Django. This renderer, like Django's default,
reads only Django's and the apps' templates: no project template could override these.
"""

from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape

WIDGETS = "django/forms/widgets/"
# Django's templates that are `{% include "django/forms/widgets/input.html" %}` and a newline.
INPUTS = (
    "checkbox", "color", "date", "datetime", "email", "file", "hidden", "number", "password",
    "search", "tel", "text", "time", "url",
)  # fmt: skip


def _attrs(attrs):
    """attrs.html: ` name="value"` for each attribute, ` name` for True, nothing for False."""
    html = ""
    for name, value in attrs.items():
        if value is False:
            continue
        html += f" {conditional_escape(name)}"
        if value is not True:
            html += f'="{conditional_escape(value)}"'
    return html


def _input(widget):
    """input.html."""
    value = "" if widget["value"] is None else f' value="{conditional_escape(widget["value"])}"'
    name = conditional_escape(widget["name"])
    return f'<input type="{conditional_escape(widget["type"])}" name="{name}"{value}{_attrs(widget["attrs"])}>\n'


def _option(option):
    """select_option.html."""
    value, label = conditional_escape(option["value"]), conditional_escape(option["label"])
    return f'<option value="{value}"{_attrs(option["attrs"])}>{label}</option>\n'


def _select(widget):
    """select.html, its options by select_option.html."""
    html = f'<select name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>'
    for group_name, group_choices, _group_index in widget["optgroups"]:
        if group_name:
            html += f'\n  <optgroup label="{conditional_escape(group_name)}">'
        for option in group_choices:
            html += "\n  " + _option(option)
        if group_name:
            html += "\n  </optgroup>"
    return html + "\n</select>\n"


def _textarea(widget):
    """textarea.html."""
    value = conditional_escape(widget["value"]) if widget["value"] else ""
    return f'<textarea name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>\n{value}</textarea>\n'


WRITERS = {
    WIDGETS + "input.html": _input,
    WIDGETS + "select.html": _select,
    WIDGETS + "select_option.html": _option,
    WIDGETS + "textarea.html": _textarea,
    **{f"{WIDGETS}{name}.html": (lambda widget: _input(widget) + "\n") for name in INPUTS},
}


class FormRenderer(DjangoTemplates):
    def render(self, template_name, context, request=None):
        writer = WRITERS.get(template_name)
        widget = context.get("widget")
        if writer is not None and widget is not None and _django_options(widget):
            return writer(widget).strip()  # as BaseRenderer.render strips a template's output
        return super().render(template_name, context, request)


def _django_options(widget):
    """Whether every option of a select uses Django's option template (a widget may set another)."""
    return all(
        option["template_name"] == WIDGETS + "select_option.html"
        for _name, options, _index in widget.get("optgroups", ())
        for option in options
    )
