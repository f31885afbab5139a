"""The dashboard's running counts (tickets.models.rollup), computed from the existing tickets, and
an index of the overdue tickets whose breach is not recorded yet.

The counts are built by the nightly reconciliation's own code, so they start out right; see
bench/README.md for how long that takes on a million tickets.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def count_existing_tickets(apps, schema_editor):
    from tickets.models.rollup import STATE_FIELDS
    from tickets.rollups import reconcile

    # The reconciliation is today's code: it reads every counted field of today's tickets. When a
    # later migration adds one of them, that migration builds the counts instead (0013).
    columns = {field.attname for field in apps.get_model("tickets", "Ticket")._meta.concrete_fields}
    if set(STATE_FIELDS) <= columns:
        reconcile()


class Migration(migrations.Migration):

    dependencies = [
        ('departments', '0002_response_targets'),
        ('tickets', '0009_satisfaction_ratings'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='NewTicketCount',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('count', models.IntegerField(default=0, verbose_name='count')),
                ('pending', models.BooleanField(default=True, verbose_name='pending')),
                ('day', models.DateField(verbose_name='day')),
            ],
            options={
                'verbose_name': 'new tickets count',
                'verbose_name_plural': 'new tickets counts',
            },
        ),
        migrations.CreateModel(
            name='OpenTicketCount',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('count', models.IntegerField(default=0, verbose_name='count')),
                ('pending', models.BooleanField(default=True, verbose_name='pending')),
                ('status', models.CharField(choices=[('open', 'Open'), ('in_progress', 'In progress'), ('answered', 'Answered'), ('customer_reply', 'Customer reply'), ('on_hold', 'On hold'), ('closed', 'Closed')], max_length=20, verbose_name='status')),
                ('escalated', models.BooleanField(verbose_name='escalated')),
                ('breached', models.BooleanField(verbose_name='overdue')),
            ],
            options={
                'verbose_name': 'open tickets count',
                'verbose_name_plural': 'open tickets counts',
            },
        ),
        migrations.CreateModel(
            name='ResponseTimeCount',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('count', models.IntegerField(default=0, verbose_name='count')),
                ('pending', models.BooleanField(default=True, verbose_name='pending')),
                ('day', models.DateField(verbose_name='day')),
                ('measure', models.CharField(choices=[('first_response', 'First response'), ('resolution', 'Resolution')], max_length=20, verbose_name='measure')),
                ('bucket', models.SmallIntegerField(verbose_name='time bucket')),
                ('seconds', models.BigIntegerField(default=0, verbose_name='seconds')),
                ('with_target', models.IntegerField(default=0, verbose_name='with a target')),
                ('in_time', models.IntegerField(default=0, verbose_name='within the target')),
            ],
            options={
                'verbose_name': 'response time count',
                'verbose_name_plural': 'response time counts',
            },
        ),
        migrations.AddIndex(
            model_name='ticket',
            index=models.Index(condition=models.Q(('breached_at__isnull', True), ('due_at__isnull', False)), fields=['due_at'], name='ticket_due_unmarked'),
        ),
        migrations.AddField(
            model_name='newticketcount',
            name='department',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='departments.department', verbose_name='department'),
        ),
        migrations.AddField(
            model_name='newticketcount',
            name='service',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='departments.service', verbose_name='service'),
        ),
        migrations.AddField(
            model_name='openticketcount',
            name='assignee',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='assignee'),
        ),
        migrations.AddField(
            model_name='openticketcount',
            name='department',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='departments.department', verbose_name='department'),
        ),
        migrations.AddField(
            model_name='responsetimecount',
            name='department',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='departments.department', verbose_name='department'),
        ),
        migrations.AddIndex(
            model_name='newticketcount',
            index=models.Index(fields=['day', 'department'], name='new_count_day'),
        ),
        migrations.AddIndex(
            model_name='newticketcount',
            index=models.Index(condition=models.Q(('pending', True)), fields=['id'], name='new_count_pending'),
        ),
        migrations.AddIndex(
            model_name='openticketcount',
            index=models.Index(condition=models.Q(('pending', True)), fields=['id'], name='open_count_pending'),
        ),
        migrations.AddIndex(
            model_name='responsetimecount',
            index=models.Index(fields=['day', 'department'], name='time_count_day'),
        ),
        migrations.AddIndex(
            model_name='responsetimecount',
            index=models.Index(condition=models.Q(('pending', True)), fields=['id'], name='time_count_pending'),
        ),
        migrations.RunPython(count_existing_tickets, migrations.RunPython.noop),
    ]
