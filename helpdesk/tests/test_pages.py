from django.urls import reverse


def test_home_for_anonymous_offers_login_and_sign_up(client, db):
    response = client.get("/")
    assert response.status_code == 200
    assert reverse("account_login") in response.content.decode()
    assert reverse("account_signup") in response.content.decode()


def test_home_for_customer_lists_open_tickets(login, customer, ticket):
    response = login(customer).get("/")
    assert response.status_code == 200
    assert ticket.display_reference in response.content.decode()


def test_home_sends_agents_to_the_queue(login, agent):
    response = login(agent).get("/")
    assert response.status_code == 302 and response["Location"] == reverse("staff:queue")


def test_language_switcher_changes_language_and_remembers_it(login, customer):
    client = login(customer)
    response = client.post(reverse("set_language"), {"language": "pt-br", "next": "/"})
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.language == "pt-br"
    assert '<html lang="pt-br">' in client.get("/").content.decode()


def test_every_page_carries_a_strict_content_security_policy(client, db):
    policy = client.get("/")["Content-Security-Policy"]
    for directive in ("object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'", "script-src 'self'"):
        assert directive in policy
    assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]


def test_healthz_answers_for_the_process_and_its_database(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_status_reports_each_component(client, db):
    response = client.get("/status")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok", "broker": "ok"}


def test_unknown_page_is_a_friendly_404_in_the_users_language(client, db, settings):
    settings.DEBUG = False
    response = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_forged_host_header_is_refused(client, db, settings):
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["help.example.com"]
    assert client.get("/", HTTP_HOST="evil.example.net").status_code == 400


def test_login_redirects_only_to_our_own_paths(client, customer):
    from conftest import PASSWORD

    response = client.post(
        "/accounts/login/?next=https://evil.example.net/", {"login": customer.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert "evil.example.net" not in response["Location"]


def test_json_logs_are_one_object_per_line():
    import json
    import logging

    from helpdesk.logs import JsonFormatter

    record = logging.LogRecord("helpdesk", logging.WARNING, __file__, 1, "disk %s", ("full",), None)
    line = JsonFormatter().format(record)
    assert json.loads(line)["message"] == "disk full" and "\n" not in line
