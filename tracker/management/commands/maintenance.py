"""``python manage.py maintenance``: the daily job (deploy/systemd/tracker-maintenance.timer).

Applies the retention policy (tracker.retention), records the run (tracker.models.MaintenanceRun,
read by the metrics page) and logs one ``key=value`` line per run on the ``tracker.maintenance``
logger. Safe to run at any time and as often as wanted: a second run removes nothing more.
Exits non-zero when it fails, so that systemd marks the unit failed.
"""

import logging

from django.core.management.base import BaseCommand
from django.utils import timezone

from tracker.models import MaintenanceRun
from tracker.retention import retention_apply

logger = logging.getLogger("tracker.maintenance")


class Command(BaseCommand):
    help = "Apply the retention policy (sign-in records, expired sessions) and record the run. Run daily."

    def handle(self, *args, **options):
        started = timezone.now()
        run = MaintenanceRun.objects.create(started_at=started)
        try:
            removed = retention_apply(now=started)
        except Exception as error:
            run.finished_at = timezone.now()
            run.save(update_fields=["finished_at"])
            logger.error("maintenance_failed", extra={"audit": {"run": run.pk, "error": type(error).__name__}})
            raise
        run.finished_at = timezone.now()
        run.succeeded = True
        run.removed = removed
        run.save(update_fields=["finished_at", "succeeded", "removed"])
        seconds = (run.finished_at - started).total_seconds()
        logger.info("maintenance", extra={"audit": {"run": run.pk, **removed, "seconds": f"{seconds:.3f}"}})
        if options["verbosity"] >= 1:
            self.stdout.write(
                ", ".join(f"{kind.replace('_', ' ')}: {count} removed" for kind, count in removed.items())
            )
