"""Locust users of the load test (run by bench/loadtest.py, which prepares their sessions).

Customers open tickets and reply to theirs; agents work the queue: list, open a ticket,
reply. Every posted text carries a unique marker, and every accepted post is recorded, so
bench/loadtest.py can check afterwards that each one is in the database exactly once.
"""

import itertools
import json
import os
import random
import re
from html.parser import HTMLParser

from locust import HttpUser, constant, events, task

INPUT = json.loads(open(os.environ["LOADTEST_INPUT"]).read())  # noqa: SIM115 - read once at import
RUN = INPUT["run"]
RECORDS = []
_counter = itertools.count(1)
TICKET_LINK = re.compile(r'href="/staff/tickets/([0-9]+)/"')
CUSTOMER_TICKET = re.compile(r"/tickets/([0-9]+)/$")
# What marks a message that arrived while the agent was writing (templates/tickets/_thread.html).
COLLISION = "hd-message-arrived"
_agents = itertools.cycle(INPUT["agents"])


class Forms(HTMLParser):
    """The POST forms of a page: action, hidden fields, text areas and submit buttons."""

    def __init__(self, html):
        super().__init__()
        self.forms, self._form = [], None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._form = {"action": attrs.get("action") or "", "post": (attrs.get("method") or "").lower() == "post"}
            self._form.update(hidden={}, textareas=set(), submits=[])
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "input" and (attrs.get("type") or "").lower() == "hidden" and attrs.get("name"):
            self._form["hidden"][attrs["name"]] = attrs.get("value") or ""
        elif tag == "textarea":
            self._form["textareas"].add(attrs.get("name"))
        elif tag in ("button", "input") and (attrs.get("type") or "submit").lower() == "submit":
            self._form["submits"].append((attrs.get("name"), attrs.get("value") or ""))

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None

    def with_textarea(self, name):
        return next((form for form in self.forms if form["post"] and name in form["textareas"]), None)


def marker(kind):
    return f"[{RUN}-{kind}-{next(_counter)}]"


def record(**fields):
    RECORDS.append(fields)


@events.quitting.add_listener
def _write_records(environment, **kwargs):
    with open(os.environ["LOADTEST_OUTPUT"], "w") as output:
        json.dump(RECORDS, output)


class Visitor(HttpUser):
    abstract = True
    wait_time = constant(0)

    def post_form(self, page_url, form, data, name, collision_ok=False):
        """POST `form` of the page at `page_url`; success is a redirect (or, with `collision_ok`,
        the workspace's warning that a message arrived meanwhile). Returns the response."""
        action = form["action"] or page_url
        payload = {**form["hidden"], **data}
        with self.client.post(action, data=payload, allow_redirects=False, name=name, catch_response=True) as response:
            if response.status_code == 302:
                response.success()
            elif collision_ok and response.status_code == 200 and COLLISION in response.text:
                response.success()
            else:
                response.failure(f"{response.status_code} instead of a redirect")
        return response


class Customer(Visitor):
    """A customer of the pool: each task acts as another one, as many customers do at once."""

    def on_start(self):
        self.customers = INPUT["customers"]

    def _as_customer(self):
        customer = random.choice(self.customers)
        self.client.cookies.clear()
        self.client.cookies.set(INPUT["cookie"], customer["session"])
        return customer

    @task(2)
    def open_ticket(self):
        customer = self._as_customer()
        department = random.choice(INPUT["departments"])
        url = f"/tickets/new/{department}/"
        page = self.client.get(url, name="/tickets/new/[department]/")
        form = Forms(page.text).with_textarea("body")
        if form is None:
            return
        text = marker("open")
        response = self.post_form(
            url,
            form,
            {
                "subject": f"Load test {text}",
                "summary": "Site fora do ar durante o teste de carga",
                "priority": random.choice(["low", "medium", "high"]),
                "site": "loadtest.example.com",
                "body": f"Meu site não abre desde hoje cedo. {text}",
            },
            "open ticket",
        )
        found = CUSTOMER_TICKET.search(response.headers.get("Location", ""))
        if response.status_code == 302 and found:
            customer["references"].append(found.group(1))
            record(kind="open", marker=text, reference=found.group(1), user=customer["id"])
            self.client.get(response.headers["Location"], name="/tickets/[reference]/")

    @task(3)
    def reply(self):
        customer = self._as_customer()
        if not customer["references"]:
            return
        reference = random.choice(customer["references"])
        url = f"/tickets/{reference}/"
        page = self.client.get(url, name="/tickets/[reference]/")
        form = Forms(page.text).with_textarea("body")
        if form is None:
            return
        text = marker("reply")
        response = self.post_form(url, form, {"body": f"Continua com o mesmo problema. {text}"}, "customer reply")
        if response.status_code == 302:
            record(kind="reply", marker=text, reference=reference, user=customer["id"])


class Agent(Visitor):
    """An agent working the queue: the list, one of its tickets, a reply (now and then a note)."""

    def on_start(self):
        self.agent = next(_agents)
        self.client.cookies.set(INPUT["cookie"], self.agent["session"])

    @task
    def work_a_ticket(self):
        queue = self.client.get("/staff/", name="/staff/")
        references = TICKET_LINK.findall(queue.text)
        if not references:
            return
        reference = random.choice(references[:10])
        url = f"/staff/tickets/{reference}/"
        page = self.client.get(url, name="/staff/tickets/[reference]/")
        form = Forms(page.text).with_textarea("body")
        if form is None:
            return
        internal = random.random() < 0.2
        kind = "note" if internal else "staff_reply"
        text = marker(kind)
        data = {"body": f"Verificamos o servidor e está normalizado. {text}"}
        data.update(self._button(form, internal))
        response = self.post_form(url, form, data, "agent note" if internal else "agent reply", collision_ok=True)
        if response.status_code == 200:
            # A customer wrote while the agent was reading: the workspace shows the new message
            # and asks again. The agent has read it and sends anyway; on a busy ticket yet another
            # message may arrive meanwhile and the warning rightly comes back (twice at most here).
            record(kind="collision", marker=text, reference=reference, user=self.agent["id"])
            for attempt in range(3):
                form = Forms(response.text).with_textarea("body")
                response = self.post_form(url, form, data, "agent sends anyway", collision_ok=attempt < 2)
                if response.status_code != 200:
                    break
        if response.status_code == 302:
            record(kind=kind, marker=text, reference=reference, user=self.agent["id"])

    @staticmethod
    def _button(form, internal):
        """The submit button for a reply or an internal note, as the workspace names them."""
        wanted = "note" if internal else "reply"
        for name, value in form["submits"]:
            if name and wanted in f"{name} {value}".lower():
                return {name: value}
        return {}
