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


def test_healthz_reports_each_component(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok", "broker": "ok"}
