import re

from django.db import models
from django.utils.translation import gettext_lazy as _

# {customer_name}, {reference}...: the placeholders of CannedReply.body.
PLACEHOLDER = re.compile(r"\{(\w+)\}")


class CannedReply(models.Model):
    """A prepared answer agents insert in a reply; placeholders such as {customer_name} are filled in."""

    title = models.CharField(_("title"), max_length=120)
    body = models.TextField(
        _("text"),
        help_text=_("Placeholders: {customer_name}, {reference}, {subject}, {department}, {agent_name}."),
    )
    department = models.ForeignKey(
        "departments.Department",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="canned_replies",
        verbose_name=_("department"),
        help_text=_("Empty: available in every department."),
    )
    active = models.BooleanField(_("active"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("canned reply")
        verbose_name_plural = _("canned replies")
        ordering = ["order", "title"]

    def __str__(self):
        return self.title

    def render(self, ticket, agent):
        """The text with its placeholders filled for `ticket`, as written by `agent`.

        Unknown placeholders and stray braces are left as typed: an admin's typo must not break replies.
        """
        customer = ticket.customer
        values = {
            "customer_name": customer.get_full_name() if customer else ticket.guest_email,
            "reference": ticket.display_reference,
            "subject": ticket.subject,
            "department": str(ticket.department),
            "agent_name": agent.get_full_name(),
        }
        return PLACEHOLDER.sub(lambda match: values.get(match[1], match[0]), self.body)
