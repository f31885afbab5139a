"""Satisfaction on the pages that other features own: one tag each, so those pages include them in one line."""

from django import template

from tickets.forms.satisfaction import RatingForm
from tickets.models import Rating
from tickets.satisfaction import email_survey, survey_for

register = template.Library()


@register.inclusion_tag("tickets/satisfaction/_ask.html")
def satisfaction_ask(ticket):
    """The closed ticket's page asks the question of its current close (or shows the answer)."""
    survey = survey_for(ticket)
    if survey is None:
        return {"survey": None}
    rating = survey.rating
    form = RatingForm(
        ticket.department.satisfaction_scale,
        survey.question,
        initial={"score": rating.score, "comment": rating.comment} if rating else {},
        submit_label=None if rating is None else RatingForm.CHANGE,
    )
    return {"survey": survey, "rating": rating, "form": form}


@register.inclusion_tag("tickets/satisfaction/_staff_panel.html")
def satisfaction_panel(ticket):
    """The workspace's card: every rating of the ticket, latest close first. A ticket from
    staff_ticket_or_404 knows whether it has any (`rated`): most have none, and cost no query."""
    rated = getattr(ticket, "rated", True)
    ratings = list(Rating.objects.filter(ticket=ticket).order_by("-closed_at")) if rated else []
    closing = ticket.current_closing()
    return {
        "ticket": ticket,
        "ratings": ratings,
        "pending": closing is not None and all(rating.closing_id != closing.pk for rating in ratings),
    }


@register.simple_tag
def closing_survey(notification):
    """The rating links of a closing e-mail, or None: `{% closing_survey notification as survey %}`."""
    return email_survey(notification)
