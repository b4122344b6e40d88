from django.apps import AppConfig


class TrackerConfig(AppConfig):
    name = "tracker"
    verbose_name = "Tracker"

    def ready(self):
        # Connects the audit log's receivers (sign-ins, failures, lockouts).
        from tracker import audit  # noqa: F401
