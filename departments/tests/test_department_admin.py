"""The department's admin page: a week of business hours, the time zone as a choice, distinct section names."""

import datetime

import pytest
from django.urls import reverse

from departments.models import BusinessHours, Department

pytestmark = pytest.mark.usefixtures("english")


def _post(client, department, **fields):
    data = {
        "name": department.name,
        "slug": department.slug,
        "description": department.description,
        "description_en": "",
        "email": department.email,
        "active": "on",
        "order": 0,
        "timezone": "America/Manaus",
        "auto_close_days": 7,
        "attachment_retention_days": 0,
        "raw_mail_retention_days": 0,
        "erasure_keeps_text": "on",
        "satisfaction_scale": "good_bad",
        **{f"hours_{day}": "" for day in range(7)},
        **{
            f"{prefix}-{key}": value
            for prefix in ("memberships", "targets", "holidays", "burst_threshold")
            for key, value in (("TOTAL_FORMS", 0), ("INITIAL_FORMS", 0))
        },
    }
    data.update(fields)
    return client.post(reverse("admin:departments_department_change", args=[department.pk]), data)


def test_business_hours_are_edited_as_a_week(client, admin_user, support):
    BusinessHours.objects.create(department=support, weekday=0, start=datetime.time(9), end=datetime.time(17))
    client.force_login(admin_user)
    page = client.get(reverse("admin:departments_department_change", args=[support.pk])).content.decode()
    assert 'name="hours_0" value="09:00-17:00"' in page and '<input type="text" name="hours_6" placeholder' in page
    assert "business_hours-TOTAL_FORMS" not in page

    week = {f"hours_{day}": "08:00-12:00, 13:00-18:00" for day in range(5)}
    response = _post(client, support, business_hours_only="on", hours_5="8h-12h", **week)
    assert response.status_code == 302
    rows = list(support.business_hours.values_list("weekday", "start", "end"))
    assert len(rows) == 11
    assert (5, datetime.time(8), datetime.time(12)) in rows and (0, datetime.time(13), datetime.time(18)) in rows
    support.refresh_from_db()
    assert support.timezone == "America/Manaus" and support.business_hours_only


@pytest.mark.parametrize(
    "typed, message",
    [
        ("das oito ao meio-dia", "Write each period as 08:00-12:00"),
        ("12:00-08:00", "must end after it starts"),
        ("08:00-12:00, 11:00-13:00", "must not overlap"),
        ("25:00-26:00", "is not a time of day"),
    ],
)
def test_a_badly_written_day_is_refused_and_changes_nothing(client, admin_user, support, typed, message):
    BusinessHours.objects.create(department=support, weekday=0, start=datetime.time(9), end=datetime.time(17))
    client.force_login(admin_user)
    response = _post(client, support, hours_0=typed)
    assert response.status_code == 200 and message in response.content.decode()
    assert list(support.business_hours.values_list("start", "end")) == [(datetime.time(9), datetime.time(17))]
    assert Department.objects.get(pk=support.pk).timezone == "America/Sao_Paulo"


def test_business_hours_only_needs_some_hours(client, admin_user, support):
    client.force_login(admin_user)
    response = _post(client, support, business_hours_only="on")
    assert "needs at least one period" in response.content.decode()


def test_the_time_zone_is_a_choice_and_an_unknown_one_is_refused(client, admin_user, support):
    client.force_login(admin_user)
    page = client.get(reverse("admin:departments_department_change", args=[support.pk])).content.decode()
    assert '<select name="timezone"' in page and '<option value="America/Sao_Paulo" selected>' in page
    assert _post(client, support, timezone="Mars/Olympus").status_code == 200
    assert Department.objects.get(pk=support.pk).timezone == "America/Sao_Paulo"


def test_the_admin_sections_have_distinct_names_and_the_header_the_products(client, admin_user, settings):
    settings.HELPDESK_NAME = "Ajuda Hospedagem"
    client.force_login(admin_user)
    page = client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="pt-br").content.decode()
    assert "Administração do Django" not in page and "Django" not in page.split("<body")[1]
    assert "Administração de Ajuda Hospedagem" in page and 'src="/static/img/logo.png"' in page
    import re

    sections = re.findall(r'<caption>\s*<a [^>]*class="section"[^>]*>([^<]+)</a>', page)
    assert len(sections) == len(set(sections)) >= 3
