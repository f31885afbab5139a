"""Every URL of the project, for every role, with the expected outcome.

The cases are checked against the URL configuration: a URL without a case here fails
`test_every_url_has_a_case`. Where a role may not act, the request must also change nothing.
"""

from dataclasses import dataclass, field

import pytest
from django.contrib import admin
from django.forms.models import model_to_dict
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.models import Contact
from tickets.models import InboundEmail, InboundState, Problem, Rating, Ticket
from tickets.satisfaction import make_token
from tickets.tests.files import png_upload

ROLES = ["anonymous", "customer", "other_customer", "agent", "other_agent", "supervisor", "admin"]
STAFF = {"agent", "supervisor", "admin"}
LOGGED_IN = {role: "ok" for role in ROLES if role != "anonymous"}

# Outcomes: "ok" 200; "done" a redirect that is not the login page (an action was carried out or
# refused politely); "login" a redirect to the login page; 404; 405; 400.


@dataclass
class Case:
    name: str
    method: str = "get"
    kwargs: object = lambda world: {}  # noqa: E731 - world -> URL kwargs
    data: object = lambda world: {}  # noqa: E731 - world -> posted data
    expect: dict = field(default_factory=dict)
    label: str = ""

    def __str__(self):
        return self.label or self.name


def expect(default, **roles):
    return {role: roles.get(role, default) for role in ROLES}


def customer_only(allowed="ok"):
    return expect(404, anonymous="login", customer=allowed)


def ticket_staff(allowed="ok"):
    return expect(404, anonymous="login", **{role: allowed for role in STAFF})


def other_roles(outcome):
    """Everyone but the customer, who may (and anonymous visitors, sent to log in)."""
    return expect(outcome, anonymous="login", customer="ok")


def export_token(world):
    from privacy import export
    from privacy.models import DataExport

    item = DataExport.objects.create(user=world.ticket.customer)
    item.claim()
    export.build(item)
    return {"token": item.token}


def erasure_link(world):
    from privacy.views import erasure_token

    return {"token": erasure_token(world.ticket.customer)}


def ref(world):
    return {"reference": world.ticket.reference}


def all_staff():
    return expect(404, anonymous="login", agent="ok", other_agent="ok", supervisor="ok", admin="ok")


def problem(world):
    return {"pk": world.problem.pk}


CASES = [
    Case("tickets:home", expect=expect("ok", agent="done", other_agent="done", supervisor="done", admin="done")),
    Case("tickets:list", expect=expect("ok", anonymous="login")),
    Case("tickets:new", expect=expect("ok", anonymous="login")),
    Case("tickets:new_department", kwargs=lambda w: {"slug": "suporte"}, expect=expect("ok", anonymous="login")),
    Case("tickets:detail", kwargs=ref, expect=customer_only()),
    Case(
        "tickets:detail", "post", ref, lambda w: {"body": "Mais um detalhe."}, customer_only("done"), "customer reply"
    ),
    Case("tickets:close", "post", ref, expect=customer_only("done")),
    Case("tickets:close", "get", ref, expect=expect(405, anonymous="login"), label="close by GET"),
    Case("tickets:escalate", "post", ref, lambda w: {"reason": "Sem resposta."}, customer_only("done")),
    # The rating links of a closing e-mail: the signed token is the credential, whoever follows it.
    Case("tickets:rate", kwargs=lambda w: w.rating_link, expect=expect("ok")),
    Case("tickets:rate", "post", lambda w: w.rating_link, lambda w: {"score": "good"}, expect("done"), "rate"),
    Case(
        "tickets:rate",
        "post",
        lambda w: {**w.rating_link, "reference": w.ticket.reference},
        lambda w: {"score": "good"},
        expect(404),
        "rate with the token of another ticket",
    ),
    Case("tickets:rate_thanks", kwargs=lambda w: w.rating_link, expect=expect("done")),
    Case(
        "tickets:attachment",
        kwargs=lambda w: {"reference": w.ticket.reference, "pk": w.public_file.pk},
        expect=expect(404, anonymous="login", customer="ok", **{role: "ok" for role in STAFF}),
    ),
    Case(
        "tickets:attachment",
        kwargs=lambda w: {"reference": w.ticket.reference, "pk": w.internal_file.pk},
        expect=ticket_staff(),
        label="attachment of an internal note",
    ),
    Case(
        "tickets:attachment_thumbnail",
        kwargs=lambda w: {"reference": w.ticket.reference, "pk": w.public_file.pk},
        expect=expect(404, anonymous="login", customer="ok", **{role: "ok" for role in STAFF}),
    ),
    Case(
        "staff:queue", expect=expect(404, anonymous="login", agent="ok", other_agent="ok", supervisor="ok", admin="ok")
    ),
    Case("staff:ticket", kwargs=ref, expect=ticket_staff()),
    Case(
        "staff:ticket",
        "post",
        ref,
        lambda w: {"body": "Resposta.", "action": "reply", "seen": w.ticket.messages.last().pk},
        ticket_staff("done"),
        "reply",
    ),
    Case(
        "staff:bulk",
        "post",
        data=lambda w: {"action": "close", "tickets": [w.ticket.pk]},
        expect=expect(404, anonymous="login", agent="done", other_agent="done", supervisor="done", admin="done"),
    ),
    Case("staff:details", "post", ref, lambda w: {"status": "on_hold", "priority": "high"}, ticket_staff("done")),
    Case("staff:assign", "post", ref, lambda w: {"action": "me"}, ticket_staff("done")),
    Case("staff:transfer", "post", ref, lambda w: {"department": w.billing.pk}, ticket_staff("done")),
    Case("staff:merge", "post", ref, lambda w: {"target": str(w.other_ticket.reference)}, ticket_staff("done")),
    Case(
        "staff:export_csv",
        expect=expect(404, anonymous="login", agent="ok", other_agent="ok", supervisor="ok", admin="ok"),
    ),
    Case("staff:dashboard", expect=expect(404, anonymous="login", supervisor="ok", admin="ok")),
    Case("staff:problems", expect=all_staff()),
    Case("staff:problems_csv", expect=all_staff()),
    Case("staff:problem_new", expect=all_staff()),
    Case(
        "staff:problem_new",
        "post",
        data=lambda w: {"title": "Outro", "department": w.ticket.department_id, "ticket": w.ticket.reference},
        # Another department's agent gets the form back: that department is not theirs.
        expect=expect(404, anonymous="login", agent="done", other_agent="ok", supervisor="done", admin="done"),
        label="new problem",
    ),
    Case("staff:problem", kwargs=problem, expect=ticket_staff()),
    Case(
        "staff:problem",
        "post",
        problem,
        lambda w: {"title": "Renomeado", "status": "known", "description": "", "public_note": ""},
        ticket_staff("done"),
        "edit problem",
    ),
    Case(
        "staff:problem_add_ticket", "post", problem, lambda w: {"reference": w.ticket.reference}, ticket_staff("done")
    ),
    Case(
        "staff:problem_unlink",
        "post",
        lambda w: {"pk": w.problem.pk, "reference": w.other_ticket.reference},
        expect=ticket_staff("done"),
    ),
    Case("staff:problem_reply", "post", problem, lambda w: {"body": "A todos."}, ticket_staff("done")),
    Case("staff:problem_solve", "post", problem, lambda w: {"body": "Resolvido."}, ticket_staff("done")),
    Case("staff:ticket_similar", kwargs=ref, expect=ticket_staff()),
    Case(
        "staff:ticket_problem", "post", ref, lambda w: {"action": "link", "problem": w.problem.pk}, ticket_staff("done")
    ),
    Case(
        "staff:inbound",
        expect=expect(404, anonymous="login", agent="ok", other_agent="ok", supervisor="ok", admin="ok"),
    ),
    Case("staff:inbound_accept", "post", lambda w: {"pk": w.held.pk}, expect=ticket_staff("done")),
    Case("staff:inbound_discard", "post", lambda w: {"pk": w.held.pk}, expect=ticket_staff("done")),
    Case("set_language", "post", data=lambda w: {"language": "en", "next": "/"}, expect=expect("done")),
    Case("account_profile", expect=expect("ok", anonymous="login")),
    Case("account_contacts", expect=expect("ok", anonymous="login")),
    Case("account_contact_remove", "post", lambda w: {"pk": w.contact.pk}, expect=customer_only("done")),
    Case("account_contact_resend", "post", lambda w: {"pk": w.contact.pk}, expect=customer_only("done")),
    Case("account_contact_confirm", kwargs=lambda w: {"token": w.contact.make_token()}, expect=expect("ok")),
    Case("account_login", expect=expect("done", anonymous="ok")),
    Case("account_logout", expect=expect("ok", anonymous="done")),
    Case("account_inactive", expect=expect("ok")),
    Case("account_signup", expect=expect("done", anonymous="ok")),
    Case("account_reauthenticate", expect=expect("ok", anonymous="login")),
    Case("account_email", expect=expect("ok", anonymous="login")),
    Case("account_email_verification_sent", expect=expect("ok")),
    Case("account_change_password", expect=expect("ok", anonymous="login")),
    Case("account_set_password", expect=expect("done", anonymous="login")),
    Case("account_reset_password", expect=expect("ok")),
    Case("account_reset_password_done", expect=expect("ok")),
    Case("account_confirm_login_code", expect=expect("done", anonymous="login")),
    Case("account_confirm_email", kwargs=lambda w: {"key": "not-a-real-key"}, expect=expect("ok")),
    Case("account_reset_password_from_key", kwargs=lambda w: {"uidb36": "1", "key": "x-y"}, expect=expect("ok")),
    Case("account_reset_password_from_key_done", expect=expect("ok")),
    Case("healthz", expect=expect("ok")),
    Case("status", expect=expect("ok")),
    # Personal data (privacy/): each user's own page; the export and the erasure link only for their owner.
    Case("privacy:data", expect=expect("ok", anonymous="login")),
    Case("privacy:export_request", "post", expect=expect("done", anonymous="login")),
    Case("privacy:export_download", kwargs=lambda w: export_token(w), expect=customer_only()),
    Case("privacy:erase_request", "post", expect=expect("done", anonymous="login")),
    Case("privacy:erase_confirm", kwargs=lambda w: erasure_link(w), expect=customer_only()),
    Case(
        "privacy:erase_confirm", "post", lambda w: erasure_link(w), label="erasure confirmed", expect=other_roles(404)
    ),
    # The second factor (allauth.mfa): setting it up asks for the password again first; what needs
    # an authenticator is a 404 for an account without one (none of the roles has one).
    Case("mfa_index", expect=expect("ok", anonymous="login")),
    Case("mfa_activate_totp", expect=expect("done", anonymous="login")),
    Case("mfa_generate_recovery_codes", expect=expect("done", anonymous="login")),
    Case("mfa_deactivate_totp", expect=expect(404, anonymous="login")),
    Case("mfa_view_recovery_codes", expect=expect(404, anonymous="login")),
    Case("mfa_download_recovery_codes", expect=expect(404, anonymous="login")),
    Case("mfa_authenticate", expect=expect("done", anonymous="login")),
    Case("mfa_reauthenticate", expect=expect("done", anonymous="login")),
]


def _named_urls(patterns, namespace=None):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = ":".join(filter(None, [namespace, pattern.namespace])) or None
            yield from _named_urls(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}:{pattern.name}" if namespace else pattern.name


# The admin (superusers only) and anymail's webhooks (provider credentials, not sessions) have
# their own tests below, each covering every URL of its namespace.
OWN_TESTS = ("admin:", "anymail:")


def test_every_url_has_a_case():
    named = {name for name in _named_urls(get_resolver().url_patterns) if not name.startswith(OWN_TESTS)}
    assert sorted(named - {case.name for case in CASES}) == []
    assert sorted({case.name for case in CASES} - named) == []


@dataclass
class World:
    ticket: object
    other_ticket: object
    public_file: object
    internal_file: object
    held: object
    contact: object
    billing: object
    rating_link: dict
    problem: object


@pytest.fixture
def world(make_ticket, customer, agent, billing, other_customer, other_agent, supervisor, admin_user):
    ticket = make_ticket(uploads=[png_upload("erro.png")])
    other_ticket = make_ticket(subject="Outro problema")
    closed = make_ticket(subject="Resolvido")
    closed.close(by=agent)
    note = ticket.reply(author=agent, body="Nota interna.", internal=True, uploads=[png_upload("interno.png")])
    held = InboundEmail.objects.create(
        raw=b"From: x@y.example\r\n\r\nOi", sender="x@y.example", department=ticket.department, state=InboundState.HELD
    )
    return World(
        ticket=ticket,
        other_ticket=other_ticket,
        public_file=ticket.messages.first().attachments.get(),
        internal_file=note.attachments.get(),
        held=held,
        contact=Contact.objects.create(user=customer, email="socio@example.com"),
        billing=billing,
        rating_link={"reference": closed.reference, "token": make_token(closed, closed.current_closing())},
        problem=Problem.open_from(by=agent, department=ticket.department, title="web01", tickets=[other_ticket]),
    )


def _snapshot(world):
    """What a forbidden request must leave as it was."""
    ticket = type(world.ticket).objects.get(pk=world.ticket.pk)
    return (
        model_to_dict(ticket),
        ticket.messages.count(),
        ticket.events.count(),
        InboundEmail.objects.get(pk=world.held.pk).state,
        Contact.objects.filter(pk=world.contact.pk).count(),
        Rating.objects.count(),
        model_to_dict(Problem.objects.get(pk=world.problem.pk)),
        sorted(Ticket.objects.filter(problem=world.problem).values_list("pk", flat=True)),
        Problem.objects.count(),
    )


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", CASES, ids=str)
def test_each_role_gets_the_expected_outcome(case, role, world, client, request, settings):
    if role != "anonymous":
        user = request.getfixturevalue({"admin": "admin_user"}.get(role, role))
        client.force_login(user)
    url = reverse(case.name, kwargs=case.kwargs(world))
    before = _snapshot(world)
    response = getattr(client, case.method)(url, case.data(world))
    wanted = case.expect[role]
    login_url = reverse("account_login")
    if wanted == "ok":
        assert response.status_code == 200
    elif wanted in ("done", "login"):
        assert response.status_code == 302
        assert response["Location"].startswith(login_url) == (wanted == "login"), response["Location"]
    else:
        assert response.status_code == wanted
    if wanted in ("login", 404, 405):
        assert _snapshot(world) == before


@pytest.mark.parametrize("role", ROLES)
def test_the_admin_is_for_superusers_only(role, world, client, request):
    if role != "anonymous":
        client.force_login(request.getfixturevalue({"admin": "admin_user"}.get(role, role)))
    urls = [reverse("admin:index")]
    for model in admin.site._registry:
        info = (model._meta.app_label, model._meta.model_name)
        urls.append(reverse("admin:{}_{}_changelist".format(*info)))
        obj = model._default_manager.first()
        if obj is not None:
            urls.append(reverse("admin:{}_{}_change".format(*info), args=[obj.pk]))
    for url in urls:
        response = client.get(url)
        if role == "admin":
            assert response.status_code == 200, url
        else:
            assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login")), url


@pytest.mark.parametrize("role", ["anonymous", "customer", "admin"])
def test_webhooks_refuse_requests_without_the_provider_credentials(role, world, client, request, settings):
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": "hook:s3cret", "MAILGUN_WEBHOOK_SIGNING_KEY": "key"}
    settings.MAIL_WEBHOOK_PROVIDERS = ["mailgun", "postmark", "sendgrid", "amazon_ses"]
    if role != "anonymous":
        client.force_login(request.getfixturevalue({"admin": "admin_user"}.get(role, role)))
    names = [name for name in _named_urls(get_resolver().url_patterns) if name.startswith("anymail:")]
    assert names
    messages = InboundEmail.objects.count()
    for name in names:
        response = client.post(reverse(name), b"{}", content_type="application/json")
        served = name.removeprefix("anymail:").startswith(tuple(settings.MAIL_WEBHOOK_PROVIDERS))
        # Served routes refuse the post; the others (no provider credentials, or not ours) are not there.
        assert response.status_code in ((400, 401, 403) if served else (404,)), (name, response.status_code)
    assert InboundEmail.objects.count() == messages


def test_only_the_configured_providers_webhooks_are_served(client, db, settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": "hook:s3cret"}
    settings.MAIL_WEBHOOK_PROVIDERS = ["postmark"]
    assert client.post("/anymail/sendgrid/inbound/", b"{}", content_type="application/json").status_code == 404
    assert client.post("/anymail/postmark/inbound/", b"{}", content_type="application/json").status_code == 400

