"""What a web worker loads before its first request: the URLs (and so every view module), every
template of the project, compiled and kept by the template engines' caches, and each language's
translations.

Called by gunicorn (gunicorn.conf.py, post_worker_init) before the worker freezes what it has
loaded out of the garbage collector's reach: the first requests of a new or recycled worker then
cost what the later ones do, instead of importing the views and compiling the templates they use
(bench/README.md has the figures), and what they loaded is not walked by every full collection.
"""

from pathlib import Path

from django.conf import settings
from django.template import engines
from django.urls import get_resolver
from django.utils import translation


def warm():
    for code, _name in settings.LANGUAGES:
        with translation.override(code):  # activating a language loads its catalogue
            get_resolver().reverse_dict  # noqa: B018 - imports the views and indexes the URLs
    folders = {engine: [Path(folder) for folder in engine.dirs] for engine in engines.all()}
    every_folder = [folder for engine_folders in folders.values() for folder in engine_folders]
    for engine, engine_folders in folders.items():
        for folder in engine_folders:
            # Another engine's folder nested in this one's (templates/jinja2 in templates/) is left to it.
            nested = [other for other in every_folder if other != folder and other.is_relative_to(folder)]
            for path in sorted(folder.rglob("*.html")) + sorted(folder.rglob("*.txt")):
                if not any(path.is_relative_to(other) for other in nested):
                    engine.get_template(path.relative_to(folder).as_posix())
