# The common jobs. `make run` and `make test` create .venv themselves.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000

.PHONY: run test lint format messages migrate worker beat ci bench

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements.txt
	touch $@

run: $(VENV)/.installed
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

test: $(VENV)/.installed
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .

format: $(VENV)/.installed
	$(VENV)/bin/ruff format .

# Needs Debian's gettext. The English catalogue repeats the (English) source; pt-BR is translated by hand.
messages: $(VENV)/.installed
	$(PY) manage.py makemessages --locale pt_BR --locale en --ignore ".venv/*" --ignore "var/*" --ignore "bench/*" --ignore "node_modules/*" --no-obsolete
	$(PY) locale/fill_english.py
	$(PY) manage.py compilemessages --ignore ".venv/*"

migrate: $(VENV)/.installed
	$(PY) manage.py migrate

worker: $(VENV)/.installed
	$(VENV)/bin/celery -A helpdesk worker --loglevel INFO

beat: $(VENV)/.installed
	$(VENV)/bin/celery -A helpdesk beat --loglevel INFO

ci:
	bash .ci/run

# Staff pages under load on the seeded `bench` database: see bench/README.md.
bench: $(VENV)/.installed
	$(PY) -m bench.run $(BENCH_ARGS)
