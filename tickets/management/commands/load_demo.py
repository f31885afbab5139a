"""Demo data of PRODUCT.md. Idempotent: run it again and nothing is duplicated."""

import io
from datetime import date, time, timedelta

from allauth.account.models import EmailAddress
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from PIL import Image, ImageDraw

from accounts.models import Contact, User
from departments.models import BusinessHours, Department, Holiday, Membership, ResponseTarget, Service
from tickets.attachments import check_bytes
from tickets.models import Priority, Status, Ticket
from tickets.rollups import reconcile

PASSWORD = "demo12345"

DEPARTMENTS = [
    (
        "suporte",
        "Suporte",
        "suporte@example.com",
        (
            "Problemas técnicos com hospedagem, sites, e-mail e bancos de dados.",
            "Technical problems with hosting, sites, e-mail and databases.",
        ),
    ),
    (
        "financeiro",
        "Financeiro/Administrativo",
        "financeiro@example.com",
        ("Faturas, pagamentos, planos e dados cadastrais.", "Invoices, payments, plans and account details."),
    ),
    (
        "dominios",
        "Domínios Internacionais",
        "dominios@example.com",
        (
            "Registro, transferência e renovação de domínios internacionais.",
            "Registration, transfer and renewal of international domains.",
        ),
    ),
    (
        "abusos",
        "Abusos",
        "abusos@example.com",
        ("Denúncias de spam, phishing e uso indevido.", "Reports of spam, phishing and misuse."),
    ),
]
SERVICES = ["Hospedagem", "Domínios", "E-mail", "Revenda"]

# Response targets: (business hours Monday to Friday, or None for around the clock,
# {priority: (first response, resolution) in minutes of that clock}).
OFFICE_HOURS = [(time(8), time(12)), (time(13), time(18))]
TARGETS = {
    "suporte": (None, {Priority.HIGH: (30, 240), Priority.MEDIUM: (120, 1440), Priority.LOW: (480, 4320)}),
    "financeiro": (OFFICE_HOURS, {Priority.HIGH: (120, 480), Priority.MEDIUM: (240, 1440), Priority.LOW: (480, 2700)}),
    "dominios": (OFFICE_HOURS, {Priority.HIGH: (240, 960), Priority.MEDIUM: (480, 2700), Priority.LOW: (960, 5400)}),
    "abusos": (None, {Priority.HIGH: (60, 480), Priority.MEDIUM: (240, 1440), Priority.LOW: (1440, 4320)}),
}
# Brazil's national holidays on fixed dates (month, day).
HOLIDAYS = [
    ((1, 1), "Confraternização Universal"),
    ((4, 21), "Tiradentes"),
    ((5, 1), "Dia do Trabalho"),
    ((9, 7), "Independência do Brasil"),
    ((10, 12), "Nossa Senhora Aparecida"),
    ((11, 2), "Finados"),
    ((11, 15), "Proclamação da República"),
    ((11, 20), "Consciência Negra"),
    ((12, 25), "Natal"),
]
USERS = [
    ("cliente@example.com", "Carla Cliente", False),
    ("agente@example.com", "André Agente", False),
    ("supervisor@example.com", "Sofia Supervisora", False),
    ("admin@example.com", "Ana Admin", True),
]

# (subject, department slug, service, priority, final status, customer text, staff reply or None)
TICKETS = [
    (
        "Site fora do ar",
        "suporte",
        "Hospedagem",
        Priority.HIGH,
        Status.OPEN,
        "Meu site exemplo.com.br está mostrando erro 500 desde hoje cedo.",
        None,
    ),
    (
        "Erro ao enviar e-mails",
        "suporte",
        "E-mail",
        Priority.MEDIUM,
        Status.ANSWERED,
        "Meus e-mails voltam com erro 550 ao enviar para o Gmail.",
        "Ajustamos o registro SPF do seu domínio. Pode testar novamente?",
    ),
    (
        "Lentidão no painel",
        "suporte",
        "Hospedagem",
        Priority.LOW,
        Status.IN_PROGRESS,
        "O painel de controle demora muito para abrir.",
        None,
    ),
    (
        "Backup do banco de dados",
        "suporte",
        "Hospedagem",
        Priority.MEDIUM,
        Status.CUSTOMER_REPLY,
        "Preciso restaurar o backup de ontem do banco loja_db.",
        "Qual horário de backup você deseja restaurar?",
    ),
    (
        "Certificado SSL expirado",
        "suporte",
        "Hospedagem",
        Priority.HIGH,
        Status.ON_HOLD,
        "O cadeado do meu site sumiu e o navegador diz que o certificado expirou.",
        "Estamos aguardando a validação do domínio pela autoridade certificadora.",
    ),
    (
        "Migração de conta concluída",
        "suporte",
        "Revenda",
        Priority.LOW,
        Status.CLOSED,
        "Gostaria de migrar a conta de um cliente da revenda.",
        "Migração concluída. Qualquer dúvida, estamos à disposição.",
    ),
    (
        "Segunda via de boleto",
        "financeiro",
        "Hospedagem",
        Priority.MEDIUM,
        Status.OPEN,
        "Preciso da segunda via do boleto deste mês.",
        None,
    ),
    (
        "Cobrança em duplicidade",
        "financeiro",
        "Revenda",
        Priority.HIGH,
        Status.ANSWERED,
        "Fui cobrado duas vezes no cartão.",
        "Identificamos a cobrança duplicada e o estorno já foi solicitado.",
    ),
    (
        "Alterar forma de pagamento",
        "financeiro",
        "Hospedagem",
        Priority.LOW,
        Status.CLOSED,
        "Quero trocar de boleto para cartão de crédito.",
        "Forma de pagamento alterada com sucesso.",
    ),
    (
        "Transferência de domínio .com",
        "dominios",
        "Domínios",
        Priority.MEDIUM,
        Status.OPEN,
        "Quero transferir o domínio minhaloja.com para vocês.",
        None,
    ),
    (
        "Renovação de domínio .net",
        "dominios",
        "Domínios",
        Priority.MEDIUM,
        Status.ANSWERED,
        "O domínio meusite.net vence semana que vem, como renovo?",
        "A renovação foi feita automaticamente; a nova data de expiração já aparece no painel.",
    ),
    (
        "Denúncia de phishing",
        "abusos",
        "Hospedagem",
        Priority.HIGH,
        Status.IN_PROGRESS,
        "Recebi um e-mail de phishing que aponta para um site hospedado com vocês.",
        None,
    ),
]


def _screenshot():
    image = Image.new("RGB", (640, 400), "#f5f7fa")
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 0, 640, 48], fill="#1d4f91")
    draw.text((16, 16), "exemplo.com.br", fill="white")
    draw.rectangle([120, 140, 520, 260], outline="#b42318", width=4)
    draw.text((200, 190), "500 Internal Server Error", fill="#b42318")
    out = io.BytesIO()
    image.save(out, "PNG")
    return check_bytes(out.getvalue(), "erro-500.png")


class Command(BaseCommand):
    help = "Load the demo departments, services, users and tickets (safe to run again)."

    @transaction.atomic
    def handle(self, *args, **options):
        departments = {}
        for order, (slug, name, email, (description, description_en)) in enumerate(DEPARTMENTS):
            departments[slug], _ = Department.objects.update_or_create(
                slug=slug,
                defaults={
                    "name": name,
                    "email": email,
                    "description": description,
                    "description_en": description_en,
                    "order": order,
                    "accepts_anyone": slug == "abusos",
                    "business_hours_only": TARGETS[slug][0] is not None,
                },
            )
        self._response_targets(departments)
        services = {}
        for order, name in enumerate(SERVICES):
            services[name], _ = Service.objects.update_or_create(name=name, defaults={"order": order})

        users = {}
        for email, name, superuser in USERS:
            user = User.objects.filter(email=email).first()
            if user is None:
                user = User.objects.create_user(email, PASSWORD, name=name, is_staff=superuser, is_superuser=superuser)
            EmailAddress.objects.update_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
            users[email] = user

        agent, supervisor = users["agente@example.com"], users["supervisor@example.com"]
        for slug in ("suporte", "financeiro"):
            Membership.objects.get_or_create(department=departments[slug], user=agent)
        # Every department has a supervisor: escalations and missed targets reach a person in charge.
        for department in departments.values():
            Membership.objects.update_or_create(
                department=department, user=supervisor, defaults={"is_supervisor": True}
            )
        customer = users["cliente@example.com"]
        Contact.objects.get_or_create(
            user=customer, email="socio@example.com", defaults={"name": "Sócio", "verified_at": timezone.now()}
        )

        created = 0
        for index, (subject, slug, service, priority, status, text, answer) in enumerate(TICKETS):
            if Ticket.objects.filter(customer=customer, subject=subject).exists():
                continue
            created += 1
            department = departments[slug]
            staff = agent if slug in ("suporte", "financeiro") else users["admin@example.com"]
            ticket = Ticket.open(
                customer=customer,
                department=department,
                subject=subject,
                summary=text[:80],
                body=text,
                priority=priority,
                service=services[service],
                site="exemplo.com.br" if slug == "suporte" else "",
                uploads=[_screenshot()] if index == 0 else [],
            )
            if index == 0:
                ticket.reply(author=agent, body="Verificando os logs do servidor web.", internal=True)
            if answer:
                ticket.reply(author=staff, body=answer)
            if status == Status.CUSTOMER_REPLY:
                ticket.reply(author=customer, body="O backup das 03:00, por favor.")
            elif status not in (Status.OPEN, Status.ANSWERED):
                ticket.set_status(status, by=staff)
            if status == Status.IN_PROGRESS:
                ticket.assign(staff, by=staff)
            # Spread the demo over the past days so lists and charts look lived in.
            age = timedelta(days=len(TICKETS) - index, hours=index)
            shifted = {"created_at": F("created_at") - age}
            Ticket.objects.filter(pk=ticket.pk).update(updated_at=F("updated_at") - age, **shifted)
            Ticket.objects.filter(pk=ticket.pk, first_response_at__isnull=False).update(
                first_response_at=F("first_response_at") - age
            )
            ticket.messages.update(**shifted)
            ticket.events.update(**shifted)
            # The response clock moves back with the ticket, so the queue shows some overdue.
            for field in ("sla_clock_started_at", "first_response_due_at", "resolution_due_at", "due_at"):
                Ticket.objects.filter(pk=ticket.pk, **{f"{field}__isnull": False}).update(**{field: F(field) - age})
        # The times moved above bypass the models: the dashboard's counts follow them.
        reconcile()
        self.stdout.write(self.style.SUCCESS(f"Demo data ready ({created} new tickets)."))

    def _response_targets(self, departments):
        """Targets, office hours and holidays; what an admin changed afterwards is kept."""
        this_year = timezone.localdate().year
        for slug, (hours, targets) in TARGETS.items():
            department = departments[slug]
            for priority, (first, resolution) in targets.items():
                ResponseTarget.objects.get_or_create(
                    department=department,
                    priority=priority,
                    defaults={"first_response_minutes": first, "resolution_minutes": resolution},
                )
            if hours is None:
                continue
            for weekday in range(5):
                for start, end in hours:
                    BusinessHours.objects.get_or_create(department=department, weekday=weekday, start=start, end=end)
            for year in (this_year, this_year + 1):
                for (month, day), name in HOLIDAYS:
                    Holiday.objects.get_or_create(
                        department=department, date=date(year, month, day), defaults={"name": name}
                    )
