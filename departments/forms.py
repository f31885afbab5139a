"""The admin's department form: the time zone as a choice and the business hours as a week."""

import datetime
import itertools
import re

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import timezone_choices
from departments.models import BusinessHours, Department, Weekday

PERIOD = re.compile(r"^(\d{1,2})(?:[:h](\d{2}))?h?\s*[-–]\s*(\d{1,2})(?:[:h](\d{2}))?h?$")


def parse_periods(text):
    """"08:00-12:00, 13:00-18:00" as [(time, time), ...] in order; ValueError with a message if not."""
    periods = []
    for piece in filter(None, (part.strip() for part in re.split(r"[,;]", text))):
        match = PERIOD.match(piece)
        if not match:
            raise forms.ValidationError(
                _("Write each period as 08:00-12:00, separated by commas (“%(text)s” is not one)."),
                code="format",
                params={"text": piece},
            )
        start_h, start_m, end_h, end_m = (int(value or 0) for value in match.groups())
        if start_h > 23 or end_h > 24 or start_m > 59 or end_m > 59 or (end_h == 24 and end_m):
            raise forms.ValidationError(_("“%(text)s” is not a time of day."), code="time", params={"text": piece})
        start = datetime.time(start_h, start_m)
        end = datetime.time(23, 59) if end_h == 24 else datetime.time(end_h, end_m)
        if end <= start:
            raise forms.ValidationError(
                _("The period “%(text)s” must end after it starts."), code="order", params={"text": piece}
            )
        periods.append((start, end))
    periods.sort()
    for (_start, end), (next_start, _end) in itertools.pairwise(periods):
        if next_start < end:
            raise forms.ValidationError(_("The periods of a day must not overlap."), code="overlap")
    return periods


def format_periods(periods):
    return ", ".join(f"{start:%H:%M}-{end:%H:%M}" for start, end in periods)


def _day(weekday):
    return forms.CharField(
        label=weekday.label,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "08:00-12:00, 13:00-18:00", "size": 32}),
    )


class DepartmentForm(forms.ModelForm):
    """One line per weekday ("08:00-12:00, 13:00-18:00"; empty: closed) instead of one row per period."""

    timezone = forms.ChoiceField(label=_("time zone"), choices=timezone_choices)
    hours_0 = _day(Weekday.MONDAY)
    hours_1 = _day(Weekday.TUESDAY)
    hours_2 = _day(Weekday.WEDNESDAY)
    hours_3 = _day(Weekday.THURSDAY)
    hours_4 = _day(Weekday.FRIDAY)
    hours_5 = _day(Weekday.SATURDAY)
    hours_6 = _day(Weekday.SUNDAY)

    WEEK = [f"hours_{day}" for day in Weekday.values]

    class Meta:
        model = Department
        fields = [
            "name",
            "slug",
            "description",
            "description_en",
            "email",
            "active",
            "order",
            "accepts_anyone",
            "timezone",
            "business_hours_only",
            "auto_close_days",
            "attachment_retention_days",
            "raw_mail_retention_days",
            "erasure_keeps_text",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            days = {day: [] for day in Weekday.values}
            for hours in self.instance.business_hours.all():
                days[hours.weekday].append((hours.start, hours.end))
            for day, periods in days.items():
                self.initial.setdefault(f"hours_{day}", format_periods(periods))

    def clean(self):
        cleaned = super().clean()
        self.week = {}
        for day in Weekday.values:
            try:
                self.week[day] = parse_periods(cleaned.get(f"hours_{day}", ""))
            except forms.ValidationError as error:
                self.add_error(f"hours_{day}", error)
        if cleaned.get("business_hours_only") and not any(self.week.values()) and not self.errors:
            self.add_error(
                "business_hours_only", _("Counting in business hours needs at least one period in the week below.")
            )
        return cleaned

    def save_week(self):
        """Replace the department's business hours with the week of the form (after the department is saved)."""
        department = self.instance
        department.business_hours.all().delete()
        BusinessHours.objects.bulk_create(
            BusinessHours(department=department, weekday=day, start=start, end=end)
            for day, periods in self.week.items()
            for start, end in periods
        )
