from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from tickets.enums import Priority, Scale


class DepartmentQuerySet(models.QuerySet):
    def active(self):
        return self.filter(active=True)


class Department(models.Model):
    """A desk of the support team (the seed's "setor"): Suporte, Financeiro, Abusos..."""

    # Who hears of the department's escalations (escalation_audience), as the e-mails' templates name them.
    SUPERVISORS, AGENTS, SUPERUSERS = "supervisors", "agents", "superusers"

    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("slug"), unique=True, help_text=_("Used in addresses: /tickets/new/<slug>/."))
    description = models.TextField(
        _("description (Portuguese)"),
        blank=True,
        help_text=_("Shown to customers choosing where to open a ticket, in Portuguese."),
    )
    description_en = models.TextField(
        _("description (English)"),
        blank=True,
        help_text=_("The same for customers who read English. Empty: they see the Portuguese one."),
    )
    email = models.EmailField(
        _("inbound address"),
        unique=True,
        help_text=_("Mail to this address opens tickets here; replies go out from it."),
    )
    active = models.BooleanField(_("active"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    accepts_anyone = models.BooleanField(
        _("accept mail from anyone"),
        default=False,
        help_text=_("Mail from unknown senders opens a guest ticket (for example, abuse reports)."),
    )
    timezone = models.CharField(_("time zone"), max_length=64, default="America/Sao_Paulo")
    business_hours_only = models.BooleanField(
        _("count targets in business hours"), default=False, help_text=_("Otherwise targets count around the clock.")
    )
    auto_close_days = models.PositiveSmallIntegerField(
        _("auto-close after days"),
        default=7,
        help_text=_("Answered tickets without a customer reply are closed after this many days (0: never)."),
    )
    satisfaction_survey = models.BooleanField(
        _("ask for a rating"),
        default=True,
        help_text=_("When a ticket closes, its customer is asked how it went (by e-mail and on the ticket page)."),
    )
    satisfaction_scale = models.CharField(
        _("rating scale"), max_length=10, choices=Scale.choices, default=Scale.GOOD_BAD
    )
    satisfaction_question_pt = models.CharField(
        _("question in Portuguese"),
        max_length=200,
        blank=True,
        help_text=_("Empty: “Como foi o nosso atendimento neste ticket?”"),
    )
    satisfaction_question_en = models.CharField(
        _("question in English"),
        max_length=200,
        blank=True,
        help_text=_("Empty: “How was our support with this ticket?”"),
    )
    # Personal data (LGPD): how long files and raw mail are kept, and what an erasure does to messages.
    attachment_retention_days = models.PositiveIntegerField(
        _("keep attachments for days after closing"),
        default=0,
        help_text=_("Files of tickets closed longer ago are deleted (0: kept forever)."),
    )
    raw_mail_retention_days = models.PositiveIntegerField(
        _("keep raw e-mails for days"),
        default=0,
        help_text=_("Received e-mails, as they arrived, are deleted after this many days (0: kept forever)."),
    )
    erasure_keeps_text = models.BooleanField(
        _("keep message text on erasure"),
        default=True,
        help_text=_(
            "When a customer's account is erased, their messages keep their text under the anonymous name; "
            "otherwise the text is replaced by a notice."
        ),
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="departments", verbose_name=_("members")
    )

    objects = DepartmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["order", "name"]

    def __str__(self):
        return self.name

    def satisfaction_question(self):
        """The rating question in the active language: the department's wording, or ours."""
        english = (get_language() or "").startswith("en")
        own = self.satisfaction_question_en if english else self.satisfaction_question_pt
        return own or _("How was our support with this ticket?")

    @property
    def localized_description(self):
        """The description in the reader's language, falling back to the other one: never both at once."""
        if get_language().startswith("en"):
            return self.description_en or self.description
        return self.description or self.description_en

    def supervisors(self):
        return self.members.filter(memberships__department=self, memberships__is_supervisor=True, is_active=True)

    def agents(self):
        return self.members.filter(is_active=True).distinct()

    def escalation_audience(self):
        """Who hears of escalations, breaches and bad ratings, and as what: (SUPERVISORS, the
        supervisors), else (AGENTS, the agents), else (SUPERUSERS, the active superusers).

        A department without a supervisor must not swallow them (the admin warns about it too);
        the e-mails say which of the three their reader is.
        """
        for audience, people in ((self.SUPERVISORS, self.supervisors()), (self.AGENTS, self.agents())):
            people = list(people)
            if people:
                return audience, people
        return self.SUPERUSERS, list(self.members.model.objects.filter(is_superuser=True, is_active=True))

    def escalation_recipients(self):
        return self.escalation_audience()[1]


class Membership(models.Model):
    """An agent working a department; a supervisor also receives its escalations and reports."""

    department = models.ForeignKey(
        Department, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("department")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("agent")
    )
    is_supervisor = models.BooleanField(_("supervisor"), default=False)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [models.UniqueConstraint(fields=["department", "user"], name="membership_unique")]

    def __str__(self):
        return f"{self.user} · {self.department}"


class ServiceQuerySet(models.QuerySet):
    def active(self):
        return self.filter(active=True)


class Service(models.Model):
    """What the ticket is about: hosting, domains, e-mail, reseller..."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    active = models.BooleanField(_("active"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    objects = ServiceQuerySet.as_manager()

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")
        ordering = ["order", "name"]

    def __str__(self):
        return self.name


class ResponseTarget(models.Model):
    """How soon a department answers and solves a ticket of one priority, in minutes of its clock."""

    department = models.ForeignKey(
        Department, on_delete=models.CASCADE, related_name="targets", verbose_name=_("department")
    )
    priority = models.CharField(
        _("priority"),
        max_length=10,
        choices=Priority.choices,
    )
    first_response_minutes = models.PositiveIntegerField(_("first response within (minutes)"))
    resolution_minutes = models.PositiveIntegerField(_("resolution within (minutes)"))

    class Meta:
        verbose_name = _("response target")
        verbose_name_plural = _("response targets")
        ordering = ["department", "priority"]
        constraints = [models.UniqueConstraint(fields=["department", "priority"], name="target_unique_priority")]

    def __str__(self):
        return f"{self.department} · {self.get_priority_display()}"


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class BusinessHours(models.Model):
    """One working period of a weekday, in the department's time zone (several per day allowed)."""

    department = models.ForeignKey(
        Department, on_delete=models.CASCADE, related_name="business_hours", verbose_name=_("department")
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    start = models.TimeField(_("from"))
    end = models.TimeField(_("until"))

    class Meta:
        verbose_name = _("business hours")
        verbose_name_plural = _("business hours")
        ordering = ["department", "weekday", "start"]
        constraints = [
            models.CheckConstraint(condition=models.Q(end__gt=models.F("start")), name="hours_end_after_start")
        ]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.start:%H:%M}–{self.end:%H:%M}"


class Holiday(models.Model):
    """A day without business hours for one department."""

    department = models.ForeignKey(
        Department, on_delete=models.CASCADE, related_name="holidays", verbose_name=_("department")
    )
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        ordering = ["department", "date"]
        constraints = [models.UniqueConstraint(fields=["department", "date"], name="holiday_unique_date")]

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.name}".strip()
