"""The new-ticket page tells customers how soon each department usually answers."""

from datetime import time

import pytest
from django.urls import reverse

from departments.models import BusinessHours, ResponseTarget
from tickets.models import Priority
from tickets.sla import describe_duration

pytestmark = pytest.mark.usefixtures("english")


def _target(department, minutes, priority=Priority.MEDIUM):
    ResponseTarget.objects.create(
        department=department, priority=priority, first_response_minutes=minutes, resolution_minutes=minutes * 8
    )


def test_each_department_card_shows_its_usual_first_response_time(support, billing, customer, login):
    _target(support, 30)
    _target(support, 10, Priority.HIGH)  # the usual time is the medium one
    billing.business_hours_only = True
    billing.save()
    BusinessHours.objects.create(department=billing, weekday=0, start=time(9), end=time(17))
    _target(billing, 240)
    page = login(customer).get(reverse("tickets:new")).content.decode()
    assert "Usually answers within 30 minutes, around the clock." in page
    assert "Usually answers within 4 business hours." in page


def test_a_department_without_a_medium_target_promises_nothing(support, customer, login):
    _target(support, 30, Priority.HIGH)
    assert "Usually answers" not in login(customer).get(reverse("tickets:new")).content.decode()


@pytest.mark.parametrize(
    ("minutes", "business", "text"),
    [
        (1, False, "1 minute"),
        (45, False, "45 minutes"),
        (90, False, "2 hours"),
        (24 * 60, False, "24 hours"),
        (72 * 60, False, "3 days"),
        (72 * 60, True, "72 business hours"),
    ],
)
def test_durations_read_naturally(minutes, business, text):
    assert describe_duration(minutes, business) == text
