"""Metrics for operators, in Prometheus' text format (#22), served by tracker.views.metrics.

django-prometheus counts requests and latencies by view (its middleware), database
queries (its database wrapper) and, through tracker.cache_backends, cache hits and
misses. This module adds the tracker's own:

- ``tracker_import_runs_total{model, outcome}``: bulk imports confirmed in the admin,
  ``imported`` or ``rejected`` (nothing written);
- ``tracker_maintenance_runs_total{outcome}``, ``tracker_maintenance_last_success_timestamp_seconds``
  and ``tracker_maintenance_last_removed{kind}``: read from tracker.models.MaintenanceRun, since
  the daily job runs in a process of its own. Alert when the last success is over a day and
  a half old.
"""

import os

from django.db.models import Count, Q
from prometheus_client import REGISTRY, CollectorRegistry, Counter, generate_latest, multiprocess
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from tracker.models import MaintenanceRun

import_runs = Counter(
    "tracker_import_runs", "Bulk imports confirmed in the admin, by model and outcome.", ["model", "outcome"]
)


def import_run_record(*, model: str, imported: bool) -> None:
    import_runs.labels(model=model, outcome="imported" if imported else "rejected").inc()


class MaintenanceCollector:
    """The daily maintenance job's runs, from the database (two queries per scrape)."""

    def collect(self):
        counts = MaintenanceRun.objects.aggregate(
            done=Count("pk", filter=Q(succeeded=True)), unfinished=Count("pk", filter=Q(succeeded=False))
        )
        runs = CounterMetricFamily(
            "tracker_maintenance_runs",
            "Runs of manage.py maintenance; unfinished ones failed or are still running.",
            labels=["outcome"],
        )
        runs.add_metric(["succeeded"], counts["done"])
        runs.add_metric(["unfinished"], counts["unfinished"])
        yield runs
        last = MaintenanceRun.objects.filter(succeeded=True).order_by("-started_at").first()
        if last is None:
            return
        yield GaugeMetricFamily(
            "tracker_maintenance_last_success_timestamp_seconds",
            "When the last successful maintenance run finished (Unix time).",
            value=last.finished_at.timestamp(),
        )
        removed = GaugeMetricFamily(
            "tracker_maintenance_last_removed", "Records the last successful run removed, by kind.", labels=["kind"]
        )
        for kind, count in sorted(last.removed.items()):
            removed.add_metric([kind], count)
        yield removed


class _ProcessRegistry:
    """This process's own metrics (one gunicorn worker, or runserver)."""

    def collect(self):
        yield from REGISTRY.collect()


def metrics_page() -> bytes:
    """Every metric: summed over gunicorn's workers when PROMETHEUS_MULTIPROC_DIR is set."""
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_ProcessRegistry())
    registry.register(MaintenanceCollector())
    return generate_latest(registry)
