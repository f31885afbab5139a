"""{% jinja %}: a Jinja2 partial (templates/jinja2/) inside a Django template.

The partials staff pages repeat dozens of times (queue rows, message cards, badges) render
several times faster through Jinja2 with the same autoescaping; bench/README.md has the figures.
Like Django's {% include %}, the tag's node returns the partial's output as it is: Jinja2 has
escaped every value already.
"""

from django import template
from django.template import engines
from django.template.base import token_kwargs

register = template.Library()


class JinjaNode(template.Node):
    def __init__(self, template_name, variables):
        self.template_name = template_name
        self.variables = variables

    def render(self, context):
        values = {name: value.resolve(context) for name, value in self.variables.items()}
        return engines["jinja2"].get_template(self.template_name.resolve(context)).render(values)


@register.tag
def jinja(parser, token):
    """`{% jinja "staff/_queue_rows.html" rows=rows %}`: the partial rendered with these variables only."""
    bits = token.split_contents()
    if len(bits) < 2:
        raise template.TemplateSyntaxError(f"{bits[0]} takes a template name, then name=value pairs.")
    remaining = bits[2:]
    variables = token_kwargs(remaining, parser, support_legacy=False)
    if remaining:
        raise template.TemplateSyntaxError(f"{bits[0]}: only name=value pairs after the template name.")
    return JinjaNode(parser.compile_filter(bits[1]), variables)
