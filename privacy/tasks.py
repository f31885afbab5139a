"""Celery tasks of personal data (autodiscovered): the retention policy and data exports."""

import logging

from celery import shared_task

from privacy import export as export_builder
from privacy.emails import send_export_ready
from privacy.models import DataExport
from privacy.retention import apply_retention

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def apply_retention_policy():
    apply_retention()


@shared_task(ignore_result=True)
def build_data_export(export_pk):
    build_export(export_pk)


def build_export(export_pk):
    """Build a queued export and mail its link; a second delivery of the task finds it claimed."""
    export = DataExport.objects.select_related("user").filter(pk=export_pk).first()
    if export is None or not export.claim():
        return
    try:
        export_builder.build(export)
    except Exception:
        logger.exception("Data export %s failed", export.pk)
        export.fail()
        return
    send_export_ready(export)
