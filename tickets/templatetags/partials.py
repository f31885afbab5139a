"""{% jinja %}: a Jinja2 partial (templates/jinja2/) inside a Django template.

The partials staff pages repeat dozens of times (queue rows, message cards, badges) render
several times faster through Jinja2 with the same autoescaping; bench/README.md has the figures.
"""

from django import template
from django.template import engines
from django.utils.safestring import mark_safe

register = template.Library()


@register.simple_tag
def jinja(template_name, **context):
    """`{% jinja "staff/_queue_rows.html" rows=rows %}`: the partial rendered with these variables only."""
    html = engines["jinja2"].get_template(template_name).render(context)
    return mark_safe(html)  # noqa: S308 - Jinja2 escaped every value (autoescape is on)
