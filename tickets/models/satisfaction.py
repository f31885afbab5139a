"""Customer satisfaction: one rating per close of a ticket, and the Ticket methods that ask and record it."""

from datetime import timedelta

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tickets import signals
from tickets.enums import BAD_POINTS, GOOD_POINTS, SCALE_SCORES, SCORE_POINTS, EventKind, Score, Status

# A rating may be changed for this long after it was first given.
CHANGE_WINDOW = timedelta(days=3)

# The events that close a ticket: each starts a close cycle, answered by at most one rating.
CLOSING_EVENTS = Q(kind=EventKind.STATUS, new_value=Status.CLOSED) | Q(kind=EventKind.AUTO_CLOSED)


class RatingRefused(Exception):
    """The rating cannot be recorded; the message says why, in the customer's language."""


class RatingQuerySet(models.QuerySet):
    def good(self):
        return self.filter(points__gte=GOOD_POINTS)

    def bad(self):
        return self.filter(points__lte=BAD_POINTS)


class Rating(models.Model):
    """The customer's answer to "how was it?" for one close of a ticket.

    The department, agent and service are those of the close, so reports stay true after a transfer.
    """

    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="ratings", verbose_name=_("ticket")
    )
    closing = models.OneToOneField(
        "tickets.TicketEvent", on_delete=models.CASCADE, related_name="rating", verbose_name=_("close")
    )
    closed_at = models.DateTimeField(_("closed"))
    department = models.ForeignKey(
        "departments.Department", on_delete=models.CASCADE, related_name="+", verbose_name=_("department")
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("agent"),
    )
    service = models.ForeignKey(
        "departments.Service",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("service"),
    )
    score = models.CharField(_("rating"), max_length=5, choices=Score.choices)
    points = models.PositiveSmallIntegerField(_("points (1 to 5)"))
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(_("rated"), default=timezone.now)
    updated_at = models.DateTimeField(_("changed"), default=timezone.now)
    # When the supervisors were told of a bad rating: once per rating, however often it changes.
    supervisors_told_at = models.DateTimeField(_("supervisors told"), null=True, blank=True)

    objects = RatingQuerySet.as_manager()

    class Meta:
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        ordering = ["-closed_at"]
        indexes = [
            models.Index(fields=["department", "closed_at"], name="rating_dept_closed"),
            models.Index(fields=["ticket", "-closed_at"], name="rating_ticket_closed"),
        ]
        constraints = [models.CheckConstraint(condition=Q(points__gte=1, points__lte=5), name="rating_points_1_to_5")]

    def __str__(self):
        return f"{self.ticket_id} · {self.get_score_display()}"

    @property
    def is_bad(self):
        return self.points <= BAD_POINTS

    @property
    def is_good(self):
        return self.points >= GOOD_POINTS

    @property
    def changeable_until(self):
        return self.created_at + CHANGE_WINDOW

    def is_changeable(self, now=None):
        return (now or timezone.now()) < self.changeable_until


class TicketSatisfaction:
    """The satisfaction side of a Ticket (mixed into the model next to TicketLifecycle)."""

    def current_closing(self):
        """The event of the close the customer can rate now, or None (open, merged, closed on the
        customer's erasure, or not asked here)."""
        if (
            self.status != Status.CLOSED
            or self.merged_into_id
            or self.closed_on_erasure
            or not self.department.satisfaction_survey
        ):
            return None
        return self.events.filter(CLOSING_EVENTS).order_by("-created_at", "-pk").first()

    def rate(self, *, closing, score, comment="", by=None):
        """Record (or change, within CHANGE_WINDOW) the rating of the close `closing`.

        Checked under the row lock: the close must still be the ticket's latest (a reopened ticket
        asks again at its next close), and the score one of the department's scale. Records a
        RATED event; a bad rating tells the department's supervisors, once. Returns the Rating;
        raises RatingRefused with the reason.
        """
        with transaction.atomic():
            self._lock()
            current = self.current_closing()
            if current is None or current.pk != closing.pk:
                raise RatingRefused(
                    _(
                        "This ticket was opened again after it was closed, so this rating is no longer asked for. "
                        "We will ask again when it is closed."
                    )
                )
            if score not in SCALE_SCORES[self.department.satisfaction_scale]:
                raise RatingRefused(_("Please choose one of the answers offered."))
            now = timezone.now()
            comment = comment.strip()
            rating = Rating.objects.select_for_update().filter(closing=closing).first()
            old = ""
            if rating is None:
                rating = Rating(
                    ticket=self,
                    closing=closing,
                    closed_at=closing.created_at,
                    department_id=self.department_id,
                    agent_id=self.assignee_id,
                    service_id=self.service_id,
                    created_at=now,
                )
            elif not rating.is_changeable(now):
                raise RatingRefused(_("This rating can no longer be changed."))
            elif (rating.score, rating.comment) == (score, comment):
                return rating
            else:
                old = rating.score
            rating.score, rating.points, rating.comment, rating.updated_at = score, SCORE_POINTS[score], comment, now
            tell = rating.is_bad and rating.supervisors_told_at is None
            if tell:
                rating.supervisors_told_at = now
            rating.save()
            event = self._record(EventKind.RATED, by, old, score, note=comment)
            if tell:
                signals.bad_rating.send(sender=type(self), ticket=self, event=event)
        return rating
