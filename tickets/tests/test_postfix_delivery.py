"""A real Postfix, configured from deploy/postfix/ as the README says, delivers into ingest_email.

Each test runs a private Postfix instance (its own configuration, queue and log under a temporary
folder; no SMTP listener: mail is injected with its sendmail) whose pipe runs as the unprivileged
`helpdesk` user against this test's PostgreSQL database. Needs root (Postfix's master) and
Debian's postfix; .ci/run installs it and sets REQUIRE_SERVICES=1, which turns a skip into a failure.
"""

import os
import pwd
import shutil
import subprocess
import tempfile
import time
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings as django_settings
from django.db import connection

from tickets.models import InboundEmail, InboundState, Ticket
from tickets.tests.services import forget_rate_limits_in_the_database, require_service

DEPLOY = Path(django_settings.BASE_DIR) / "deploy" / "postfix"
PIPE_USER = "helpdesk"
UNREACHABLE_DATABASE = "postgres://postgres@127.0.0.1:9/unreachable"  # the discard port: nothing listens


def _postfix_available():
    if shutil.which("postfix") is None or shutil.which("postconf") is None:
        return "Debian's postfix is not installed"
    if os.geteuid() != 0:
        return "Postfix's master runs as root"
    try:
        pwd.getpwnam(PIPE_USER)
    except KeyError:
        return f"no {PIPE_USER} user for the pipe (.ci/run creates it)"
    return ""


class Postfix:
    def __init__(self, root, env_file):
        self.root, self.env_file = root, env_file
        self.conf = root / "etc"

    def run(self, *args, **kwargs):
        result = subprocess.run(args, capture_output=True, text=True, timeout=60, **kwargs)
        assert result.returncode == 0, f"{' '.join(args)}: {result.stderr}{self.log()[-2000:]}"
        return result

    def configure(self):
        """A minimal main.cf for a private instance, then the README's recipe, as an operator applies it."""
        self.conf.mkdir()
        master = Path("/etc/postfix/master.cf").read_text()
        # No SMTP listener (the machine's own Postfix may hold port 25): mail comes in through sendmail.
        master = "\n".join(line for line in master.splitlines() if not line.startswith("smtp      inet"))
        recipe = (DEPLOY / "master.cf").read_text()
        recipe = recipe.replace("@HELPDESK_DIR@", str(django_settings.BASE_DIR)).replace(
            "@ENV_FILE@", str(self.env_file)
        )
        (self.conf / "master.cf").write_text(master + "\n" + recipe)
        for name in ("helpdesk_transport", "helpdesk_header_checks"):
            shutil.copy(DEPLOY / name, self.conf / name)
        (self.conf / "main.cf").write_text(
            "\n".join(
                [
                    "compatibility_level = 3.6",
                    f"queue_directory = {self.root / 'spool'}",
                    f"data_directory = {self.root / 'lib'}",
                    f"maillog_file = {self.root / 'maillog'}",
                    f"maillog_file_prefixes = {self.root}",
                    "myhostname = mx.example.com",
                    "mydestination =",
                    "alias_maps =",
                    "alias_database =",
                    "inet_interfaces = loopback-only",
                    # Deferred mail is retried only when a test flushes the queue.
                    "minimal_backoff_time = 1h",
                    "maximal_backoff_time = 1h",
                    "queue_run_delay = 1h",
                    "",
                ]
            )
        )
        for line in (DEPLOY / "main.cf").read_text().splitlines():
            if line.strip() and not line.startswith("#"):
                self.run("postconf", "-c", str(self.conf), "-e", line)

    def start(self):
        (self.root / "spool").mkdir()
        (self.root / "lib").mkdir()
        shutil.chown(self.root / "lib", "postfix")
        self.run("postfix", "-c", str(self.conf), "check")  # creates the queue's folders
        self.run("postfix", "-c", str(self.conf), "start")

    def stop(self):
        subprocess.run(["postfix", "-c", str(self.conf), "stop"], capture_output=True, timeout=60)

    def send(self, message, *recipients, sender="cliente@example.com"):
        self.run("sendmail", "-C", str(self.conf), "-f", sender, "-i", "--", *recipients, input=message.as_string())

    def queue(self):
        """Queue IDs still in the queue (active, incoming or deferred)."""
        output = self.run("postqueue", "-c", str(self.conf), "-j").stdout
        return [line for line in output.splitlines() if line.strip()]

    def flush(self):
        self.run("postqueue", "-c", str(self.conf), "-f")

    def wait(self, until, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if until():
                return
            time.sleep(0.3)
        log = (self.root / "maillog").read_text() if (self.root / "maillog").exists() else ""
        raise AssertionError(f"Postfix did not get there in {timeout}s; its log:\n{log[-4000:]}")

    def log(self):
        return (self.root / "maillog").read_text() if (self.root / "maillog").exists() else ""


@pytest.fixture
def postfix(transactional_db, settings):
    problem = _postfix_available()
    if problem:
        require_service(False, problem)
    if connection.vendor != "postgresql":
        pytest.skip("the pipe's own process needs a database server (this run's test database is in memory)")
    forget_rate_limits_in_the_database()
    root = Path(tempfile.mkdtemp(prefix="helpdesk-postfix-"))
    root.chmod(0o755)
    work = root / "helpdesk"  # what the pipe user may write: uploads, .eml files of the mail we send
    work.mkdir()
    shutil.chown(work, PIPE_USER)
    db = connection.settings_dict
    credentials = quote(db["USER"]) + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    env_file = root / "helpdesk.env"
    instance = Postfix(root, env_file)
    instance.database_url = f"postgres://{credentials}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
    instance.write_env = lambda url: env_file.write_text(
        f"DATABASE_URL={url}\nVAR_DIR={work}\nEMAIL_FILE_PATH={work / 'mail'}\nMEDIA_ROOT={work / 'uploads'}\n"
    )
    instance.write_env(instance.database_url)
    env_file.chmod(0o644)
    instance.configure()
    instance.start()
    yield instance
    instance.stop()
    shutil.rmtree(root, ignore_errors=True)


def _mail(subject, body, to="suporte@example.com", **headers):
    message = EmailMessage()
    message["From"] = "Carla Cliente <cliente@example.com>"
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="mail.example.com")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message


def _stored(message):
    return InboundEmail.objects.filter(message_id=message["Message-ID"]).first()


def test_postfix_delivers_new_tickets_replies_two_departments_and_holds_strangers(postfix, customer, support, billing):
    new = _mail("Não consigo acessar meu site", "Olá,\n\nO site mostra erro 500.\n\nCarla")
    # A forged stamp under our authserv-id is removed by header_checks before anything reads it.
    new["Authentication-Results"] = "mx.example.com; dmarc=pass header.from=example.com"
    postfix.send(new, "suporte@example.com")
    postfix.wait(lambda: _stored(new) is not None and not postfix.queue())
    inbound = _stored(new)
    assert inbound.state == InboundState.ACCEPTED, inbound.reason
    ticket = inbound.ticket
    assert (ticket.customer, ticket.department) == (customer, support)
    assert b"dmarc=pass" not in bytes(inbound.raw)

    reply = _mail(f"Re: [{ticket.display_reference}] Não consigo acessar meu site", "Voltou, obrigada!")
    postfix.send(reply, "suporte@example.com")
    postfix.wait(lambda: _stored(reply) is not None and not postfix.queue())
    assert _stored(reply).ticket == ticket
    assert ticket.messages.latest("created_at").body == "Voltou, obrigada!"

    both = _mail(
        "Cobrança e suporte", "Uma dúvida para os dois setores.", to="suporte@example.com, financeiro@example.com"
    )
    postfix.send(both, "suporte@example.com", "financeiro@example.com")
    postfix.wait(lambda: Ticket.objects.filter(subject="Cobrança e suporte").count() == 2 and not postfix.queue())
    assert {t.department for t in Ticket.objects.filter(subject="Cobrança e suporte")} == {support, billing}
    assert "status=bounced" not in postfix.log()

    stranger = _mail("Quero um orçamento", "Quanto custa a revenda?")
    stranger.replace_header("From", "estranho@webmail.example")
    postfix.send(stranger, "suporte@example.com", sender="estranho@webmail.example")
    postfix.wait(lambda: _stored(stranger) is not None and not postfix.queue())
    assert _stored(stranger).state == InboundState.HELD

    # The pipe ran as the helpdesk user, never as root: the acknowledgements it wrote are its files.
    written = list((postfix.root / "helpdesk" / "mail").glob("*.eml"))
    assert written and {path.stat().st_uid for path in written} == {pwd.getpwnam(PIPE_USER).pw_uid}


def test_mail_that_arrives_while_the_database_is_down_is_deferred_then_delivered_once(postfix, customer, support):
    postfix.write_env(UNREACHABLE_DATABASE)
    message = _mail("Backup do banco", "Preciso restaurar o backup de ontem.")
    postfix.send(message, "suporte@example.com")
    postfix.wait(lambda: "status=deferred" in postfix.log())
    assert postfix.queue() and not InboundEmail.objects.exists()

    postfix.write_env(postfix.database_url)
    postfix.flush()
    postfix.wait(lambda: not postfix.queue())
    assert InboundEmail.objects.filter(message_id=message["Message-ID"]).count() == 1
    assert Ticket.objects.filter(subject="Backup do banco").count() == 1
