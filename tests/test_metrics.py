"""The operators' metrics page (/metrics, tracker.views.metrics): Prometheus' text format,
only for a scraper presenting the configured token; refused to everyone else, signed in or
not; absent when no token is configured. It serves the documented metrics (README
"Metrics"): requests and latencies by view, database queries, cache hits, import runs and
maintenance runs.

Counters belong to the process and outlive a test, so tests compare before and after.
"""

import datetime

import pytest
from django.core.management import call_command
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from reports.models import Report
from tests.importing import csv_bytes, import_file

pytestmark = pytest.mark.django_db

TOKEN = "metrics-token-" + "x" * 40


@pytest.fixture
def token(settings):
    settings.TRACKER_METRICS_TOKEN = TOKEN
    return TOKEN


def scrape(*, token: str = TOKEN) -> str:
    response = Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    assert "no-cache" in response["Cache-Control"]
    return response.content.decode()


def value(page: str, name: str, **labels) -> float:
    """The sum of the samples called ``name`` whose labels include ``labels`` (0 if none)."""
    total = 0.0
    for family in text_string_to_metric_families(page):
        for sample in family.samples:
            if sample.name == name and labels.items() <= sample.labels.items():
                total += sample.value
    return total


# --- who may read it ------------------------------------------------------------


def test_anonymous_requests_are_refused(token, client):
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong-token").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION=TOKEN).status_code == 403  # not as a bearer token
    assert client.get(f"/metrics?token={TOKEN}").status_code == 403  # never in an address (logs keep those)


@pytest.mark.parametrize("persona", ["officer_a", "officer_b", "auditor", "admin_user"])
def test_signed_in_users_are_refused_without_the_token(token, client, persona, request):
    client.force_login(request.getfixturevalue(persona))
    response = client.get("/metrics")
    assert response.status_code == 403
    assert "django_http_requests" not in response.content.decode()


def test_an_officer_with_a_wrong_token_is_refused(token, client, officer_a):
    client.force_login(officer_a)
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN[:-1]}").status_code == 403


def test_without_a_configured_token_the_path_does_not_exist(settings, client):
    settings.TRACKER_METRICS_TOKEN = ""
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer anything").status_code == 404


def test_only_reads(token, client):
    assert client.post("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 405


# --- what it serves -----------------------------------------------------------------


def test_requests_latencies_queries_and_cache_hits_by_view(token, auditor_client, django_assert_max_num_queries):
    before = scrape()

    for _ in range(2):
        assert auditor_client.get("/recommendations/").status_code == 200  # the second one from the cache
    assert auditor_client.get("/reports/").status_code == 200

    with django_assert_max_num_queries(2):  # the maintenance runs: the rest is in memory
        after = scrape()
    by_view = "django_http_requests_total_by_view_transport_method_total"
    assert value(after, by_view, view="recommendations:list", method="GET") - value(
        before, by_view, view="recommendations:list", method="GET"
    ) == pytest.approx(2)
    assert value(after, by_view, view="reports:list", method="GET") - value(
        before, by_view, view="reports:list", method="GET"
    ) == pytest.approx(1)
    latency = "django_http_requests_latency_seconds_by_view_method_count"
    assert value(after, latency, view="recommendations:list") - value(
        before, latency, view="recommendations:list"
    ) == pytest.approx(2)
    responses = "django_http_responses_total_by_status_view_method_total"
    assert value(after, responses, view="reports:list", status="200") > value(
        before, responses, view="reports:list", status="200"
    )
    assert value(after, "django_db_execute_total") > value(before, "django_db_execute_total")
    assert value(after, "django_cache_get_hits_total") > value(before, "django_cache_get_hits_total")
    assert value(after, "django_cache_get_total") > value(after, "django_cache_get_hits_total") > 0


def test_a_kept_empty_value_counts_as_a_hit(token):
    from django.core.cache import cache

    cache.set("empty-list", [])
    before = scrape()
    assert cache.get("empty-list", "missing") == []
    assert cache.get("never-set", "missing") == "missing"
    after = scrape()
    assert value(after, "django_cache_get_hits_total") - value(before, "django_cache_get_hits_total") == 1
    assert value(after, "django_cache_get_misses_total") - value(before, "django_cache_get_misses_total") == 1


def test_maintenance_runs_are_counted_with_the_last_success(token):
    before = scrape()
    assert value(before, "tracker_maintenance_runs_total", outcome="succeeded") == 0
    assert "tracker_maintenance_last_success_timestamp_seconds" not in before

    call_command("maintenance", verbosity=0)
    call_command("maintenance", verbosity=0)

    after = scrape()
    assert value(after, "tracker_maintenance_runs_total", outcome="succeeded") == 2
    assert value(after, "tracker_maintenance_runs_total", outcome="unfinished") == 0
    last = value(after, "tracker_maintenance_last_success_timestamp_seconds")
    assert abs(last - datetime.datetime.now(datetime.UTC).timestamp()) < 600
    assert 'tracker_maintenance_last_removed{kind="expired_sessions"} 0.0' in after


def test_import_runs_are_counted(token, admin_client_, seeded):
    Report.objects.create(
        slug="metrics-report",
        title="A report",
        short_title="Report",
        published=datetime.date(2026, 3, 1),
        kind=Report.Kind.PERFORMANCE_AUDIT,
    )
    before = scrape()
    rows = [["metrics-report", 1, "Leadership", "Do the thing well.", "COSLA", "", ""]]
    assert import_file(admin_client_, csv_bytes(rows)).status_code == 302

    after = scrape()
    name = "tracker_import_runs_total"
    assert (
        value(after, name, model="recommendation", outcome="imported")
        - value(before, name, model="recommendation", outcome="imported")
        == 1
    )
