"""A web worker's warm-up (gunicorn.conf.py, post_worker_init): every template compiles and stays
compiled, and the views are imported, before the first request."""

import os
import subprocess
import sys
from pathlib import Path

from django.template import engines

from helpdesk.warmup import warm

ROOT = Path(__file__).resolve().parents[2]


def test_every_template_compiles_and_is_kept_compiled_by_the_engines():
    loader = engines["django"].engine.template_loaders[0]
    loader.reset()
    warm()
    assert {"staff/dashboard.html", "staff/ticket.html", "tickets/_thread.html"} <= set(loader.get_template_cache)
    # The Jinja2 partials (templates/jinja2/) are left to Jinja2, whose cache holds them compiled.
    assert not any(name.startswith("jinja2/") for name in loader.get_template_cache)
    assert any(key[1] == "staff/_queue_rows.html" for key in engines["jinja2"].env.cache._mapping)


def test_a_new_worker_imports_the_views_before_its_first_request():
    script = (
        "import sys, django; django.setup();"
        "before = 'tickets.views.staff' in sys.modules;"
        "from helpdesk.warmup import warm; warm();"
        "print(before, 'tickets.views.staff' in sys.modules, 'tickets.views.dashboard' in sys.modules)"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "helpdesk.settings"}
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.split() == ["False", "True", "True"]
