"""`manage.py seed_bench --settings bench.settings --tickets N`: realistic data for the benchmark, fast.

A million tickets and five million messages take minutes on PostgreSQL: rows are computed
in Python from pre-built text pools and streamed with COPY in batches; on empty tables the
secondary indexes are dropped during the load and built once at the end (as pg_restore
does), all in one transaction. SQLite gets the same rows through executemany, for a quick
check with a small N.

Bench data is recognisable and removable: departments with slugs starting `bench-`, users
at `@bench.example.com` plus the two known staff accounts printed at the end.
"""

import math
import random
import time
from contextlib import contextmanager
from datetime import UTC, datetime

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max, Q

from accounts.models import User
from bench.text import FIRST_NAMES, LAST_NAMES, TLDS, Texts, ascii_slug
from departments.models import Department, Membership, ResponseTarget, Service
from tickets.models import (
    Attachment,
    DeliveryState,
    EventKind,
    Message,
    Notification,
    NotificationKind,
    Priority,
    Source,
    Speaker,
    Status,
    Ticket,
    TicketEvent,
    TicketSearch,
)
from tickets.rollups import reconcile

SLUG_PREFIX = "bench-"
DOMAIN = "bench.example.com"
AGENT_EMAIL = "bench-agent@example.com"
SUPERVISOR_EMAIL = "bench-supervisor@example.com"
THREAD_LENGTH = 200
# Marks the long-thread ticket, so bench/run.py finds it without counting messages.
THREAD_SUMMARY = "Long thread (benchmark)"
BATCH = 20_000
YEAR = 365 * 86400

# (slug, name, share of the tickets)
DEPARTMENTS = [
    ("suporte", "Suporte", 60),
    ("financeiro", "Financeiro/Administrativo", 25),
    ("dominios", "Domínios Internacionais", 10),
    ("abusos", "Abusos", 5),
]
# Which services each department's tickets are about (None: the customer did not say).
SERVICES = {
    "suporte": ["Hospedagem", "Hospedagem", "E-mail", "Revenda", None],
    "financeiro": ["Hospedagem", "Domínios", "E-mail", "Revenda", None, None],
    "dominios": ["Domínios", "Domínios", None],
    "abusos": ["Hospedagem", "E-mail", None],
}
# Response targets in minutes: (first response, resolution).
TARGETS = {Priority.HIGH: (60, 480), Priority.MEDIUM: (240, 1440), Priority.LOW: (480, 2880)}
PRIORITIES = ([Priority.LOW, Priority.MEDIUM, Priority.HIGH], [30, 85, 100])
# Status mix by age in days: the last days are still being worked, old tickets are closed.
STATUS_BY_AGE = [
    (2, {Status.OPEN: 30, Status.IN_PROGRESS: 15, Status.ANSWERED: 25, Status.CUSTOMER_REPLY: 15,
         Status.ON_HOLD: 5, Status.CLOSED: 10}),
    (14, {Status.OPEN: 4, Status.IN_PROGRESS: 6, Status.ANSWERED: 20, Status.CUSTOMER_REPLY: 8,
          Status.ON_HOLD: 4, Status.CLOSED: 58}),
    (60, {Status.OPEN: 0.5, Status.IN_PROGRESS: 0.5, Status.CUSTOMER_REPLY: 1, Status.ON_HOLD: 2,
          Status.CLOSED: 96}),
    (math.inf, {Status.OPEN: 0.1, Status.CUSTOMER_REPLY: 0.1, Status.ON_HOLD: 0.3, Status.CLOSED: 99.5}),
]  # fmt: skip
NOTE_SHARE = 0.08  # staff messages followed by an internal note
WAITING = {Status.OPEN, Status.IN_PROGRESS, Status.CUSTOMER_REPLY}
# Statuses whose last public message is staff's, and the share of tickets with an assignee.
STAFF_SPOKE_LAST = {Status.ANSWERED, Status.ON_HOLD}
ASSIGNED_SHARE = {Status.OPEN: 0.3, Status.CUSTOMER_REPLY: 0.8, Status.CLOSED: 0.85}

TICKET_COLUMNS = [
    "id", "reference", "customer_id", "guest_email", "department_id", "service_id", "priority", "status",
    "subject", "summary", "site", "assignee_id", "created_at", "updated_at", "last_speaker", "first_response_at",
    "closed_at", "first_response_due_at", "resolution_due_at", "due_at", "breached_at", "escalated_at",
    "sla_elapsed", "sla_clock_started_at",
]  # fmt: skip
MESSAGE_COLUMNS = [
    "id", "ticket_id", "author_id", "sender_email", "from_staff", "internal", "source", "body", "created_at",
]  # fmt: skip
EVENT_COLUMNS = ["id", "ticket_id", "actor_id", "kind", "old_value", "new_value", "created_at"]
USER_COLUMNS = ["id", "password", "email", "name", "language", "is_active", "date_joined"]
EMAIL_COLUMNS = ["id", "user_id", "email", "verified", "primary"]


def bench_departments():
    return Department.objects.filter(slug__startswith=SLUG_PREFIX)


def bench_users():
    return User.objects.filter(Q(email__endswith="@" + DOMAIN) | Q(email__in=[AGENT_EMAIL, SUPERVISOR_EMAIL]))


def thread_ticket():
    return Ticket.objects.filter(summary=THREAD_SUMMARY, department__in=bench_departments()).first()


def _stamp(seconds):
    return datetime.fromtimestamp(seconds, UTC)


class RowWriter:
    """Appends rows to a model's table; columns not given get the field's default.

    PostgreSQL: COPY through psycopg 3. Other databases: executemany.
    """

    def __init__(self, cursor):
        self.cursor = cursor
        self.copy = connection.vendor == "postgresql"

    def write(self, model, columns, rows):
        fields = {field.column: field for field in model._meta.concrete_fields}
        rest = [column for column in fields if column not in columns]
        tail = tuple(fields[column].get_db_prep_save(fields[column].get_default(), connection) for column in rest)
        names = ", ".join(connection.ops.quote_name(column) for column in [*columns, *rest])
        table = connection.ops.quote_name(model._meta.db_table)
        if self.copy:
            with self.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row + tail)
        else:
            adapt = connection.ops.adapt_datetimefield_value
            marks = ", ".join(["%s"] * (len(columns) + len(rest)))
            self.cursor.executemany(
                f"INSERT INTO {table} ({names}) VALUES ({marks})",  # noqa: S608 - quoted names, values as parameters
                [tuple(adapt(v) if isinstance(v, datetime) else v for v in row) + tail for row in rows],
            )

    def next_id(self, model):
        return (model.objects.aggregate(top=Max("id"))["top"] or 0) + 1


class Command(BaseCommand):
    help = "Seed realistic benchmark data: N tickets with their messages, customers, agents and departments."

    def add_arguments(self, parser):
        parser.add_argument("--tickets", type=int, required=True, help="How many tickets (0 with --reset: only wipe).")
        parser.add_argument("--messages-per-ticket", type=float, default=5, help="Average thread length (default 5).")
        parser.add_argument("--departments", type=int, default=4)
        parser.add_argument("--agents", type=int, default=40)
        parser.add_argument("--customers", type=int, help="Default: a tenth of the tickets.")
        parser.add_argument("--password", default="bench12345", help="Password of every bench user.")
        parser.add_argument("--seed", type=int, default=1, help="Random seed: the same seed gives the same data.")
        parser.add_argument("--reset", action="store_true", help="Wipe existing bench data first.")

    def handle(self, *args, **options):
        n = options["tickets"]
        if n < 0 or options["departments"] < 1 or options["agents"] < 1 or options["messages_per_ticket"] < 1:
            raise CommandError("--tickets must be ≥ 0; --departments, --agents and --messages-per-ticket ≥ 1.")
        if connection.vendor == "postgresql":
            # The benchmark's settings stop a page's statements after 30 s; building indexes takes minutes.
            with connection.cursor() as cursor:
                cursor.execute("SET statement_timeout = 0")
        if bench_departments().exists() or bench_users().exists():
            if not options["reset"]:
                raise CommandError(
                    f"Bench data is already here ({Ticket.objects.filter(department__in=bench_departments()).count()}"
                    " tickets). Run again with --reset to wipe it and seed afresh."
                )
            self._timed("wiped the bench data", self.wipe)
        if n == 0:
            return
        self.rng = random.Random(options["seed"])
        self.now = time.time()
        started = time.monotonic()
        with transaction.atomic(), connection.cursor() as cursor:
            self.writer = RowWriter(cursor)
            if connection.vendor == "postgresql":
                self._fast_load_settings(cursor)
            with self._indexes_built_afterwards(cursor, [Ticket, Message, TicketEvent, TicketSearch]):
                self._timed("departments, agents, customers", self.seed_people, options)
                with self._search_documents_afterwards(cursor):
                    self._timed(f"{n:,} tickets", self.seed_tickets, n, options["messages_per_ticket"])
            if connection.vendor == "postgresql":
                # Triggers and key checks on again for the rest of the transaction (a test's, say).
                cursor.execute("SET LOCAL session_replication_role = DEFAULT")
            for statement in connection.ops.sequence_reset_sql(
                no_style(), [User, EmailAddress, Ticket, Message, TicketEvent]
            ):
                cursor.execute(statement)
            self.seed_thread_extras()
        # The rows above bypassed the models: the dashboard's counts are computed from them.
        self._timed("dashboard counts", reconcile)
        self._timed("analyzed", self.analyze)
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {n:,} tickets and {self.message_count:,} messages in {time.monotonic() - started:.0f} s.\n"
                f"Agent: {AGENT_EMAIL} / {options['password']} (departments: {', '.join(self.agent_departments)})\n"
                f"Supervisor: {SUPERVISOR_EMAIL} / {options['password']}\n"
                f"Ticket with a {THREAD_LENGTH}-message thread: #{self.thread_reference}"
            )
        )

    def _timed(self, label, function, *args):
        started = time.monotonic()
        function(*args)
        self.stdout.write(f"{label}: {time.monotonic() - started:.1f} s")

    def _fast_load_settings(self, cursor):
        # Index builds (the full-text GIN index above all) are much faster with memory to sort in.
        cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        if cursor.fetchone()[0]:
            # Skip the per-row foreign-key triggers: every key is generated consistent, and checking
            # five million of them at commit would take longer than loading them.
            cursor.execute("SET LOCAL session_replication_role = replica")

    @contextmanager
    def _search_documents_afterwards(self, cursor):
        """On PostgreSQL, build the tickets' search documents (TicketSearch) in one statement after
        the load: the triggers that keep them would update a ticket's document for each message."""
        if connection.vendor != "postgresql":
            yield
            return
        tables = [connection.ops.quote_name(model._meta.db_table) for model in (Ticket, Message)]
        first = self.writer.next_id(Ticket)
        for table in tables:
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        yield
        for table in tables:
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
        started = time.monotonic()
        # Migration tickets/0006's function: the documents of the tickets from `first` on.
        cursor.execute("SELECT tickets_search_backfill(%s)", [first])
        self.stdout.write(f"search documents: {time.monotonic() - started:.1f} s")

    @contextmanager
    def _indexes_built_afterwards(self, cursor, models):
        """On PostgreSQL, drop the secondary indexes of empty tables now and build them after the load.

        Inside the transaction: if the load fails, the drops roll back with it.
        """
        if connection.vendor != "postgresql":
            yield
            return
        definitions = []
        for model in models:
            table = model._meta.db_table
            if model.objects.exists():
                continue
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexname NOT IN "
                "(SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)",
                [table, table],
            )
            for name, definition in cursor.fetchall():
                cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
                definitions.append(definition)
        yield
        started = time.monotonic()
        for definition in definitions:
            cursor.execute(definition)
        self.stdout.write(f"built {len(definitions)} indexes: {time.monotonic() - started:.1f} s")

    def analyze(self):
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql" and not connection.in_atomic_block:
                # VACUUM as well: fresh rows have no visibility map yet, so index-only scans would
                # visit the heap until autovacuum came by; production tables have been vacuumed.
                # (Not possible inside a transaction, as in tests: there ANALYZE alone.)
                for model in (User, EmailAddress, Ticket, Message, TicketEvent, TicketSearch, Attachment, Notification):
                    cursor.execute(f"VACUUM (ANALYZE) {connection.ops.quote_name(model._meta.db_table)}")
            else:
                cursor.execute("ANALYZE")

    def wipe(self):
        departments = bench_departments()
        tickets = Ticket.objects.filter(department__in=departments)
        if connection.vendor == "postgresql" and not Ticket.objects.exclude(department__in=departments).exists():
            # Only bench tickets here (the dedicated bench database): emptying the ticket tables
            # is instant where deleting millions of rows one by one takes many minutes.
            with connection.cursor() as cursor:
                cursor.execute(f"TRUNCATE {connection.ops.quote_name(Ticket._meta.db_table)} CASCADE")
        else:
            tickets.update(merged_into=None)
            tickets.delete()
        bench_users().delete()
        departments.delete()

    # People: departments, services, targets, agents, customers.

    def seed_people(self, options):
        rng = self.rng
        password = make_password(options["password"])
        joined = _stamp(self.now - 3 * YEAR)
        self.departments = []
        for index in range(options["departments"]):
            slug, name, share = DEPARTMENTS[index] if index < len(DEPARTMENTS) else (f"desk{index}", f"Desk {index}", 5)
            department = Department.objects.create(
                name=name, slug=SLUG_PREFIX + slug, email=f"{slug}@{DOMAIN}", order=index, description=name
            )
            ResponseTarget.objects.bulk_create(
                ResponseTarget(department=department, priority=p, first_response_minutes=f, resolution_minutes=r)
                for p, (f, r) in TARGETS.items()
            )
            services = [
                None if s is None else Service.objects.get_or_create(name=s)[0].pk
                for s in SERVICES.get(slug, ["Hospedagem", None])
            ]
            self.departments.append({"id": department.pk, "name": name, "share": share, "services": services})
        self.department_weights = list(_cumulative(d["share"] for d in self.departments))

        user_id = self.writer.next_id(User)
        users, memberships = [], []
        self.agents = {d["id"]: [] for d in self.departments}
        self.agent_names = {}

        def add_agent(email, name, departments, supervises=()):
            nonlocal user_id
            users.append((user_id, password, email, name, "pt-br", True, joined))
            self.agent_names[user_id] = name
            for department in departments:
                self.agents[department["id"]].append(user_id)
                memberships.append(
                    Membership(user_id=user_id, department_id=department["id"], is_supervisor=department in supervises)
                )
            user_id += 1

        first_two = self.departments[:2]
        self.agent_departments = [d["name"] for d in first_two]
        add_agent(AGENT_EMAIL, "Bench Agent", first_two)
        add_agent(SUPERVISOR_EMAIL, "Bench Supervisor", self.departments[:1], supervises=self.departments[:1])
        for index in range(options["agents"]):
            # Every department gets an agent; then bigger departments get more; a quarter work two.
            home = self.departments[index] if index < len(self.departments) else self._department()
            extra = self._department() if rng.random() < 0.25 else home
            name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
            add_agent(f"agent{index}@{DOMAIN}", name, [home] if extra is home else [home, extra])

        customer_count = max(1, options["customers"] or options["tickets"] // 10)
        self.customers = []
        for index in range(customer_count):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            lang = "en" if rng.random() < 0.2 else "pt"
            email = f"{ascii_slug(first)}.{ascii_slug(last)}{index}@{DOMAIN}"
            site = f"{ascii_slug(last)}{index}{rng.choice(TLDS)}"
            users.append((user_id, password, email, f"{first} {last}", "en" if lang == "en" else "pt-br", True, joined))
            self.customers.append((user_id, lang, site))
            user_id += 1

        self.writer.write(User, USER_COLUMNS, users)
        email_id = self.writer.next_id(EmailAddress)
        self.writer.write(
            EmailAddress, EMAIL_COLUMNS, [(email_id + i, row[0], row[2], True, True) for i, row in enumerate(users)]
        )
        Membership.objects.bulk_create(memberships)

    def _department(self):
        return self.rng.choices(self.departments, cum_weights=self.department_weights)[0]

    # Tickets with their messages and events, streamed in batches.

    def seed_tickets(self, n, messages_per_ticket):
        rng = self.rng
        self.texts = Texts(rng)
        self.extra_messages = _extra_messages_rate(messages_per_ticket)
        self.status_weights = [(limit, list(mix), list(_cumulative(mix.values()))) for limit, mix in STATUS_BY_AGE]
        # Creation times over two years, denser lately (the company grows), in id order as in production.
        span = 2 * YEAR
        created = sorted(self.now - span + span * math.sqrt(rng.random()) for _ in range(n))
        references = self._references(n)
        ticket_id = self.writer.next_id(Ticket)
        self.message_id = self.writer.next_id(Message)
        self.event_id = self.writer.next_id(TicketEvent)
        self.message_count = 0
        for start in range(0, n, BATCH):
            tickets, messages, events = [], [], []
            for index in range(start, min(n, start + BATCH)):
                # The newest ticket is the long thread the workspace benchmark opens.
                thread = THREAD_LENGTH if index == n - 1 else None
                when = self.now - 60 * 86400 if thread else created[index]
                tickets.append(self._ticket(ticket_id + index, references[index], when, thread, messages, events))
            self.writer.write(Ticket, TICKET_COLUMNS, tickets)
            self.writer.write(Message, MESSAGE_COLUMNS, messages)
            self.writer.write(TicketEvent, EVENT_COLUMNS, events)
            self.message_count += len(messages)
            self.stdout.write(f"  {min(n, start + BATCH):,} tickets, {self.message_count:,} messages", ending="\r")
            self.stdout.flush()
        self.stdout.write("")
        self.thread_reference = references[n - 1]

    def seed_thread_extras(self):
        """What the workspace shows under the long thread's messages besides the text: a screenshot
        on every fifth customer message (rows only: the page links the files, it does not read
        them), and each staff reply's e-mail delivery to the customer: delivered, the latest
        still sent, and one retrying after a failure."""
        ticket = thread_ticket()
        from_customer = ticket.messages.filter(from_staff=False).order_by("created_at", "pk")
        Attachment.objects.bulk_create(
            Attachment(
                message=message,
                file=f"bench/{message.pk}/erro.png",
                thumbnail=f"bench/{message.pk}/erro-thumb.webp",
                original_name=f"erro-{position}.png",
                content_type="image/png",
                size=184_320,
                width=1280,
                height=800,
                created_at=message.created_at,
            )
            for position, message in enumerate(from_customer)
            if position % 5 == 4
        )
        replies = list(ticket.messages.filter(from_staff=True, internal=False).select_related("ticket__customer"))
        deliveries = []
        for position, reply in enumerate(replies):
            state, attempts, error = DeliveryState.DELIVERED, 0, ""
            if position == len(replies) - 1:
                state = DeliveryState.SENT
            elif position == len(replies) - 3:
                state, attempts, error = DeliveryState.QUEUED, 2, "421 4.7.0 Try again later, closing connection."
            deliveries.append(
                Notification(
                    kind=NotificationKind.STAFF_REPLY,
                    ticket=ticket,
                    thread_message=reply,
                    recipient=ticket.customer.email,
                    recipient_user=ticket.customer,
                    state=state,
                    attempts=attempts,
                    last_error=error,
                    message_id=f"<bench-reply-{reply.pk}@bench.example.com>",
                    created_at=reply.created_at,
                    sent_at=reply.created_at if state != DeliveryState.QUEUED else None,
                    state_changed_at=reply.created_at,
                )
            )
        Notification.objects.bulk_create(deliveries)
        # Key checks now rather than at commit: a --reset in the same transaction (the
        # tests') could not TRUNCATE a table with checks pending.
        connection.check_constraints()

    def _references(self, n):
        """Unique random references without a query per row: a sample without replacement.

        The range is at least twice the count, so `generate_reference` keeps finding free
        numbers when the load test opens tickets afterwards.
        """
        digits = 6
        while n > 9 * 10 ** (digits - 1) // 2:
            digits += 1
        low = 10 ** (digits - 1)
        taken = set(
            Ticket.objects.filter(reference__gte=low, reference__lt=10 * low).values_list("reference", flat=True)
        )
        sample = self.rng.sample(range(low, 10 * low), n + len(taken))
        return [reference for reference in sample if reference not in taken][:n]

    def _ticket(self, ticket_id, reference, created, thread_length, messages, events):
        rng, now = self.rng, self.now
        department = self._department()
        if thread_length:
            department = self.departments[0]
        age_days = (now - created) / 86400
        _limit, statuses, weights = next(s for s in self.status_weights if age_days < s[0])
        status = Status.CUSTOMER_REPLY if thread_length else rng.choices(statuses, cum_weights=weights)[0]
        priority = rng.choices(*PRIORITIES)[0]
        service = rng.choice(department["services"])
        guest_email = ""
        if department is self.departments[-1] and len(self.departments) > 1 and rng.random() < 0.5:
            # Half of the last desk's (Abusos) tickets are reports mailed in by outsiders.
            customer_id, lang, site = None, "pt", ""
            guest_email = f"denuncia{ticket_id}@externo.example.net"
        else:
            customer_id, lang, site = self.customers[int(len(self.customers) * rng.random() ** 2)]
            if rng.random() < 0.3:
                site = ""

        # How long the ticket lived: hours to days until its last message.
        if status == Status.CLOSED:
            updated = created + rng.lognormvariate(math.log(20 * 3600), 1.2)
        else:
            updated = created + (now - created) * rng.random()
        updated = min(updated, now)

        # Who spoke, in order. The first message is the customer's; the thread ends as the status says.
        if thread_length:
            count = thread_length
        elif status == Status.OPEN or self.extra_messages is None:
            count = 1 + (rng.random() < 0.2)
        else:
            count = max(3 if status == Status.CUSTOMER_REPLY else 2, 1 + round(rng.expovariate(self.extra_messages)))
        staff_last = status in STAFF_SPOKE_LAST or (status == Status.CLOSED and rng.random() < 0.7)
        if status == Status.OPEN:
            staff = [False] * count
        else:
            staff = [(count - 1 - position) % 2 == (0 if staff_last else 1) for position in range(count)]
            staff[0] = False
        agents = self.agents[department["id"]]
        assignee = None
        if rng.random() < ASSIGNED_SHARE.get(status, 0.9) or thread_length:
            assignee = agents[0] if thread_length else rng.choice(agents)

        # Message times: the first at creation, the last at the last update, the rest in between.
        times = [created, *sorted(created + (updated - created) * rng.random() for _ in range(count - 2))]
        if count > 1:
            times.append(updated)
        else:
            updated = created  # nothing happened after the first message
        first_response = None
        for position, (from_staff, at) in enumerate(zip(staff, times, strict=True)):
            if from_staff:
                author = assignee or rng.choice(agents)
                first_response = first_response or at
                body = self.texts.body(lang, site, staff=True)
            else:
                author = customer_id
                body = self.texts.body(lang, site)
            stamp = _stamp(at)
            messages.append(
                (
                    self.message_id,
                    ticket_id,
                    author,
                    "" if author else guest_email,
                    from_staff,
                    False,
                    Source.WEB if from_staff or rng.random() < 0.7 else Source.EMAIL,
                    body,
                    stamp,
                )
            )
            self.message_id += 1
            if from_staff and (rng.random() < NOTE_SHARE or (thread_length and position % 20 == 1)):
                messages.append(
                    (self.message_id, ticket_id, author, "", True, True, Source.WEB, self.texts.note(), stamp)
                )
                self.message_id += 1

        # Response clock: targets from creation; the nearest pending one while waiting for staff.
        first_target, resolution_target = TARGETS[priority]
        first_due = created + first_target * 60
        resolution_due = created + resolution_target * 60
        due = breached = escalated = clock_started = None
        if status in WAITING:
            due = first_due if first_response is None else resolution_due
            clock_started = updated
            if due < now:
                breached = due
                escalated = due + 3600 if rng.random() < 0.1 else None
        elif status == Status.CLOSED and updated > resolution_due:
            breached = resolution_due
        closed = updated if status == Status.CLOSED else None

        events.append((self.event_id, ticket_id, customer_id, EventKind.CREATED, "", "", _stamp(created)))
        self.event_id += 1
        if assignee:
            at = _stamp(first_response or created + 60)
            events.append((self.event_id, ticket_id, assignee, EventKind.ASSIGNEE, "", self.agent_names[assignee], at))
            self.event_id += 1
        if closed:
            closer = assignee or rng.choice(agents)
            events.append(
                (self.event_id, ticket_id, closer, EventKind.STATUS, Status.ANSWERED, Status.CLOSED, _stamp(closed))
            )
            self.event_id += 1

        return (
            ticket_id,
            reference,
            customer_id,
            guest_email,
            department["id"],
            service,
            priority,
            status,
            self.texts.subject(lang, site)[:200],
            THREAD_SUMMARY if thread_length else self.texts.summary(lang),
            site,
            assignee,
            _stamp(created),
            _stamp(updated),
            Speaker.STAFF if staff[-1] else Speaker.CUSTOMER,
            first_response and _stamp(first_response),
            closed and _stamp(closed),
            _stamp(first_due),
            _stamp(resolution_due),
            due and _stamp(due),
            breached and _stamp(breached),
            escalated and _stamp(escalated),
            int(first_response - created) if first_response else 0,
            clock_started and _stamp(clock_started),
        )


def _extra_messages_rate(average):
    """The rate of the exponential draw of replies after the first message that makes threads
    `average` messages long, counting the second message an answered ticket always has and the
    internal notes. None when every thread is a single message."""
    if average <= 1:
        return None
    mean = average - 1
    for _ in range(20):
        mean = max(0.1, average - 1 - (1 - math.exp(-0.5 / mean)) - NOTE_SHARE * (1 + mean) / 2)
    return 1 / mean


def _cumulative(values):
    total = 0
    for value in values:
        total += value
        yield total
