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
from tickets.models import (
    BroadcastTicket,
    Priority,
    Problem,
    ProblemBroadcast,
    ProblemStatus,
    Status,
    Ticket,
)
from tickets.rollups import reconcile
from tickets.tasks.problems import run_broadcast

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
    # Two more customers, so the demo problem ties the tickets of several people.
    ("bruno@example.com", "Bruno Barbosa", False),
    ("juliana@example.com", "Juliana Jardim", False),
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


# A recurring problem of Suporte: one mail server down, reported by three customers this morning.
# It is known, shows customers a public note, and one reply to all its tickets went out.
PROBLEM = {
    "title": "Servidor de e-mail mail02 fora do ar",
    "description": (
        "O volume das filas do mail02 encheu às 08:50 e o Postfix e o Dovecot pararam de aceitar "
        "conexões (SMTP, IMAP e webmail). A infraestrutura está movendo as filas para o volume novo; "
        "o MX secundário guarda as mensagens recebidas e as entrega quando o mail02 voltar."
    ),
    "public_note": (
        "O servidor de e-mail mail02 está fora do ar: envio, recebimento e webmail estão indisponíveis "
        "para parte dos clientes. Nenhuma mensagem será perdida: os e-mails recebidos ficam guardados "
        "e serão entregues assim que o serviço voltar."
    ),
    "reply": (
        "Olá! Identificamos uma falha no servidor de e-mail mail02, que atende a sua conta: o envio, o "
        "recebimento e o webmail estão indisponíveis no momento. Nenhuma mensagem será perdida: os e-mails "
        "que chegarem ficam na fila e serão entregues assim que o serviço voltar. Nossa equipe já está "
        "trabalhando na correção e avisaremos por aqui assim que tudo estiver normalizado."
    ),
}
# (customer, subject, summary, priority, text), in the order they arrived.
PROBLEM_TICKETS = [
    (
        "cliente@example.com",
        "Não recebo e-mails desde cedo",
        "Nenhum e-mail chega desde as 9h",
        Priority.HIGH,
        "Nenhum e-mail chega em contato@exemplo.com.br desde umas 9h, e o Outlook diz que não conecta ao servidor.",
    ),
    (
        "bruno@example.com",
        "E-mails voltando com Connection refused",
        "O envio pelo Thunderbird falha",
        Priority.MEDIUM,
        "Tudo o que envio pelo Thunderbird volta com “mail02: Connection refused”. Mudou alguma configuração?",
    ),
    (
        "juliana@example.com",
        "Webmail não abre",
        "Webmail mostra servidor indisponível",
        Priority.HIGH,
        "O webmail fica carregando e depois mostra “servidor indisponível”. Preciso responder meus clientes!",
    ),
]


def _move_back(ticket, age):
    """Move `ticket`, its messages and its events `age` into the past (the demo looks lived in)."""
    shifted = {"created_at": F("created_at") - age}
    Ticket.objects.filter(pk=ticket.pk).update(updated_at=F("updated_at") - age, **shifted)
    for field in ("first_response_at", "sla_clock_started_at", "first_response_due_at", "resolution_due_at", "due_at"):
        # The response clock moves back with the ticket, so the queue shows some overdue.
        Ticket.objects.filter(pk=ticket.pk, **{f"{field}__isnull": False}).update(**{field: F(field) - age})
    ticket.messages.update(**shifted)
    ticket.events.update(**shifted)


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
            _move_back(ticket, timedelta(days=len(TICKETS) - index, hours=index))
        created += self._problem(departments["suporte"], services["E-mail"], users)
        # The times moved above bypass the models: the dashboard's counts follow them.
        reconcile()
        self.stdout.write(self.style.SUCCESS(f"Demo data ready ({created} new tickets)."))

    def _problem(self, support, service, users):
        """The demo problem and its tickets, unless it is there already; returns the tickets opened."""
        if Problem.objects.filter(department=support, title=PROBLEM["title"]).exists():
            return 0
        agent = users["agente@example.com"]
        tickets, opened = [], 0
        for position, (email, subject, summary, priority, text) in enumerate(PROBLEM_TICKETS):
            customer = users[email]
            ticket = Ticket.objects.filter(customer=customer, subject=subject).first()
            if ticket is None:
                ticket = Ticket.open(
                    customer=customer,
                    department=support,
                    subject=subject,
                    summary=summary,
                    body=text,
                    priority=priority,
                    service=service,
                )
                # Opened 40 minutes apart, the last one 40 minutes before the problem.
                _move_back(ticket, timedelta(minutes=40 * (len(PROBLEM_TICKETS) - position)))
                opened += 1
            if ticket.problem_id is None and ticket.department_id == support.pk:
                tickets.append(ticket)
        problem = Problem.open_from(
            by=agent,
            department=support,
            service=service,
            title=PROBLEM["title"],
            description=PROBLEM["description"],
            public_note=PROBLEM["public_note"],
            tickets=tickets,
        )
        problem.set_status(ProblemStatus.KNOWN, by=agent)
        broadcast = problem.reply_to_all(by=agent, body=PROBLEM["reply"])
        # Posted here rather than by the task its commit queues (which then finds nothing left), so
        # the replies move back in time with the rest.
        run_broadcast(broadcast.pk)
        age = timedelta(hours=2)
        for ticket in tickets:
            _move_back(ticket, age)
        Problem.objects.filter(pk=problem.pk).update(created_at=F("created_at") - age, updated_at=F("updated_at") - age)
        ProblemBroadcast.objects.filter(pk=broadcast.pk).update(
            created_at=F("created_at") - age, finished_at=F("finished_at") - age
        )
        BroadcastTicket.objects.filter(broadcast=broadcast).update(handled_at=F("handled_at") - age)
        return opened

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
