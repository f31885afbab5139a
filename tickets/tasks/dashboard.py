"""The dashboard's background work (Celery beat): fold the running counts, refresh the cached
figures before they expire, and reconcile the counts with the tickets every night.

Each is safe to run twice at once (the compaction takes a lock, a refresh only overwrites the
cache with the same figures, the reconciliation corrects what it finds wrong in one snapshot).
"""

from celery import shared_task

from tickets import reports, rollups


@shared_task(ignore_result=True)
def compact_rollups():
    rollups.compact()


@shared_task(ignore_result=True)
def refresh_dashboard():
    reports.refresh_all()


@shared_task(ignore_result=True)
def reconcile_rollups():
    rollups.reconcile()
