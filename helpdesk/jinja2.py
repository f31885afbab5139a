"""The Jinja2 environment (settings.TEMPLATES "jinja2"): autoescaped, translated by Django's catalogues."""

from django.utils import translation
from jinja2 import Environment


def environment(**options):
    env = Environment(**options)
    env.install_gettext_translations(translation, newstyle=True)
    return env
