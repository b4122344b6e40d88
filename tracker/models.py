from django.db import models


class MaintenanceRun(models.Model):
    """One run of ``manage.py maintenance``: when, whether it finished, and how many
    records of each kind the retention policy removed. Holds no personal data; the
    metrics page reads the latest run from here (the command runs in a process of its
    own, whose in-memory counters no scraper would see)."""

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    succeeded = models.BooleanField(default=False)
    # {"sign_in_records": 12, "sign_in_attempts": 3, "sign_in_failures": 0, "expired_sessions": 40}
    removed = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["succeeded", "-started_at"], name="maintenance_succeeded_started")]

    def __str__(self):
        return f"Maintenance run at {self.started_at:%Y-%m-%d %H:%M}"
