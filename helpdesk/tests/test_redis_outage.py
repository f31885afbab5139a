"""Redis unreachable: pages answer, rate limits keep counting, and Redis is not asked on every request.

"Unreachable" is a real one: a port where nothing listens (connection refused) or a socket that
accepts and never answers (a hung server). Stopping and restarting a real Redis, with a Celery
worker, is in test_outages_integration.py.
"""

import socket
import threading
import time

import pytest
from django.core.cache import cache
from django.urls import reverse

from helpdesk import outage, ratelimit
from tickets.models import Message
from tickets.tests.services import free_port


@pytest.fixture
def redis_down(settings, db):
    """The default cache on a Redis port where nothing listens."""
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "helpdesk.cache.ResilientRedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
            "OPTIONS": {"FALLBACK": "ratelimit"},
        },
    }
    yield
    outage.reset_all()


class HungRedis:
    """A socket that accepts connections and never answers; counts the connections made."""

    def __init__(self):
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.connections = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                self.connections.append(self.listener.accept()[0])
            except OSError:
                return

    def close(self):
        self.listener.close()
        for connection in self.connections:
            connection.close()


@pytest.fixture
def hung_redis(settings, db):
    server = HungRedis()
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "helpdesk.cache.ResilientRedisCache",
            "LOCATION": f"redis://127.0.0.1:{server.port}/0",
            "OPTIONS": {"FALLBACK": "ratelimit"},
        },
    }
    yield server
    server.close()
    outage.reset_all()


def test_customer_pages_answer_and_a_reply_is_stored_while_redis_is_down(redis_down, login, customer, ticket):
    client = login(customer)
    for url in ("/", reverse("tickets:list"), ticket.get_absolute_url(), reverse("tickets:new")):
        assert client.get(url).status_code == 200, url
    response = client.post(ticket.get_absolute_url(), {"body": "Ainda fora do ar."})
    assert response.status_code == 302
    assert ticket.messages.filter(body="Ainda fora do ar.").exists()


def test_staff_pages_answer_and_a_reply_and_a_status_change_are_stored_while_redis_is_down(
    redis_down, login, agent, supervisor, ticket
):
    client = login(agent)
    for url in (reverse("staff:queue"), ticket.get_staff_url()):
        assert client.get(url).status_code == 200, url
    newest = ticket.messages.order_by("-pk").values_list("pk", flat=True).first()
    response = client.post(ticket.get_staff_url(), {"action": "reply", "body": "Reiniciamos.", "seen": newest})
    assert response.status_code == 302
    client.post(reverse("staff:details", args=[ticket.reference]), {"status": "on_hold", "priority": "high"})
    ticket.refresh_from_db()
    assert ticket.status == "on_hold" and ticket.messages.filter(body="Reiniciamos.").exists()
    assert login(supervisor).get(reverse("staff:dashboard")).status_code == 200


def test_a_new_ticket_is_stored_while_redis_is_down(redis_down, login, customer, support):
    data = {"subject": "Sem e-mail", "summary": "Nada chega", "priority": "high", "service": "", "body": "Nada."}
    response = login(customer).post(reverse("tickets:new_department", args=["suporte"]), data)
    assert response.status_code == 302
    assert Message.objects.filter(ticket__subject="Sem e-mail").count() == 1


def test_our_rate_limits_keep_counting_in_the_database_while_redis_is_down(
    redis_down, login, customer, ticket, monkeypatch
):
    monkeypatch.setitem(ratelimit.LIMITS, "ticket_reply", (2, 3600))
    client = login(customer)
    assert [client.post(ticket.get_absolute_url(), {"body": str(n)}).status_code for n in range(3)] == [302, 302, 429]
    assert ticket.messages.count() == 3


def test_failed_logins_are_still_limited_while_redis_is_down(redis_down, client, customer):
    from conftest import PASSWORD

    for _ in range(5):
        response = client.post(reverse("account_login"), {"login": customer.email, "password": "wrong"})
        assert response.status_code == 200
    response = client.post(
        reverse("account_login"), {"login": customer.email, "password": PASSWORD}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert "_auth_user_id" not in client.session
    assert b"Too many failed login attempts" in response.content


def test_password_reset_requests_are_still_limited_while_redis_is_down(redis_down, client, customer, mailoutbox):
    codes = [client.post(reverse("account_reset_password"), {"email": customer.email}).status_code for _ in range(4)]
    assert codes == [302, 302, 302, 429]
    assert len(mailoutbox) == 3


def test_a_hung_redis_costs_one_timeout_then_is_left_alone_until_it_is_tried_again(hung_redis):
    started = time.monotonic()
    assert cache.get("anything") is None
    first = time.monotonic() - started
    assert first < 1, "the read timeout is a fraction of a second"
    for _ in range(20):
        cache.set("menus", [1, 2], 60)
        assert cache.get("menus") == [1, 2], "answered by the fallback"
    assert len(hung_redis.connections) == 1

    cache.breaker.retry_after = 0.1
    cache.breaker.failed(RuntimeError("again"))
    time.sleep(0.15)
    cache.get("anything")
    assert len(hung_redis.connections) == 2, "tried again once the pause was over"


def test_healthz_is_alive_with_redis_down_and_status_reports_it_degraded(redis_down, client, db):
    assert client.get("/healthz").json() == {"status": "ok", "database": "ok"}
    response = client.get("/status")
    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["database"] == "ok" and response.json()["cache"].startswith("error")
