"""Faults: the database goes away in the middle of a request.

The fault is injected at the database driver's door (``connection.execute_wrapper``),
at every query position of a request in turn — the first query, the session, the
user, the page's own reads, the update's writes — so no step is left untried:

- the visitor gets the site's own 500 page (no stack trace, nothing internal);
- the next request, once the database is back, works;
- an update that fails at any point leaves no partial rows: no half-written
  history, and the current status still matches the history;
- /healthz answers 503 while the database is unreachable.
"""

import datetime
from unittest.mock import patch

import pytest
from django.db import OperationalError, connection
from django.test import Client

from recommendations import choice_lists
from recommendations.models import ProgressUpdate, Recommendation, Status
from recommendations.services import _refresh_status
from tests.conftest import PASSWORD, _make_user
from tracker.roles import AUDITOR

pytestmark = pytest.mark.django_db

FAULT = "server closed the connection unexpectedly"
LEAKS = ("Traceback", FAULT, "OperationalError", "django.db", "SELECT", "settings.py")


class DatabaseGoesAway:
    """Lets ``survive`` queries through, then fails every later one, as a lost connection does."""

    def __init__(self, survive: int):
        self.survive = survive
        self.seen = 0
        self.injected = 0

    def __call__(self, execute, sql, params, many, context):
        self.seen += 1
        if self.seen > self.survive:
            self.injected += 1
            raise OperationalError(FAULT)
        return execute(sql, params, many, context)


def _queries(request) -> int:
    """How many queries ``request()`` sends through the driver (so many places to fail)."""
    counter = DatabaseGoesAway(survive=10**9)
    with connection.execute_wrapper(counter):
        response = request()
    assert response.status_code in (200, 302)
    if hasattr(response, "streaming_content"):
        with connection.execute_wrapper(counter):
            b"".join(response.streaming_content)
    return counter.seen


def _assert_clean_500(response, where):
    page = response.content.decode()
    assert response.status_code == 500, where
    assert "Sorry, there is a problem with the service" in page, where
    for leak in LEAKS:
        assert leak not in page, (where, leak)


def _client(user) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def _pages():
    rec = Recommendation.objects.filter(report__slug="community-planning-update-2016").first()
    return [
        "/",
        "/recommendations/",
        "/reports/community-planning-update-2016/",
        rec.get_absolute_url(),
        "/owners/inverclyde-alliance/",
        "/recommendations/?_export=csv",
    ]


def test_database_lost_at_every_query_of_a_page_gives_a_clean_500_then_recovers(auditor, seeded):
    client = _client(auditor)
    faults = 0
    for path in _pages():
        # Every request with the filter's choice lists to build (a new token): their queries
        # are places to fail too, and the count must not depend on what ran before.
        choice_lists.changed()
        total = _queries(lambda path=path: client.get(path))
        for survive in range(total):
            choice_lists.changed()
            fault = DatabaseGoesAway(survive)
            with connection.execute_wrapper(fault):
                response = client.get(path)
                if path.endswith("_export=csv") and response.status_code == 200:
                    # A streamed export has sent its headers before the rows are read: the
                    # failure surfaces while streaming, and the download is cut short.
                    with pytest.raises(OperationalError):
                        b"".join(response.streaming_content)
                else:
                    _assert_clean_500(response, (path, survive))
            faults += fault.injected > 0
            assert client.get(path).status_code == 200, f"{path}: did not recover after a fault at query {survive}"
    print(f"Faults: database lost at {faults} query positions across {len(_pages())} pages; every one a clean 500")
    assert faults >= 30


def _post_update(client, rec, summary):
    return client.post(
        f"/recommendations/{rec.pk}/updates/",
        {
            "rag": Status.GREEN,
            "assessed_on": datetime.date.today().isoformat(),
            "summary": summary,
            "seen_latest": 10**9,
        },
    )


def test_an_update_that_fails_at_any_query_leaves_no_partial_rows(transactional_db, django_user_model):
    """Without the test's own transaction around it, so that the update's transaction is
    the real, outermost one: a fault at its COMMIT is a fault at its COMMIT."""
    from recommendations.seeding import seed

    seed()
    client = _client(_make_user(django_user_model, "auditor", AUDITOR))
    rec = Recommendation.objects.filter(report__slug="community-planning-update-2016", update_count__gte=1).first()
    before = (rec.status, rec.status_date, rec.update_count)
    history = list(ProgressUpdate.objects.filter(recommendation=rec).order_by("pk").values_list("pk", "superseded_on"))

    total = _queries(lambda: _post_update(client, rec, "Measuring the queries."))
    ProgressUpdate.objects.filter(summary="Measuring the queries.").delete()  # test set-up only
    _refresh_status(rec)  # as it was: its status, and its latest update superseded by nothing

    for survive in range(total):
        fault = DatabaseGoesAway(survive)
        with connection.execute_wrapper(fault):
            response = _post_update(client, rec, f"Fault after {survive} queries.")
        _assert_clean_500(response, survive)
        rec.refresh_from_db()
        assert (
            list(ProgressUpdate.objects.filter(recommendation=rec).order_by("pk").values_list("pk", "superseded_on"))
            == history
        )
        assert (rec.status, rec.status_date, rec.update_count) == before, f"partial write with a fault at {survive}"
    assert not ProgressUpdate.objects.filter(summary__startswith="Fault after").exists()

    assert _post_update(client, rec, "After the database came back.").status_code == 302
    rec.refresh_from_db()
    assert rec.update_count == before[2] + 1 and rec.status == Status.GREEN
    print(f"Faults: update form failed at each of its {total} queries; no partial rows")


def test_sign_in_with_the_database_gone_is_a_clean_500_and_then_works(auditor):
    client = Client(raise_request_exception=False)
    with connection.execute_wrapper(DatabaseGoesAway(0)):
        response = client.post("/accounts/login/", {"username": auditor.username, "password": PASSWORD})
    _assert_clean_500(response, "sign-in")
    assert client.post("/accounts/login/", {"username": auditor.username, "password": PASSWORD}).status_code == 302


def test_healthz_is_503_while_the_database_is_unreachable_and_200_after(client):
    with connection.execute_wrapper(DatabaseGoesAway(0)):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "unavailable"}
    assert client.get("/healthz").status_code == 200


@pytest.mark.parametrize("signed_in", [False, True])
def test_healthz_is_503_json_whatever_cookies_come_with_it(auditor, signed_in):
    """A browser or a probe that sends a session cookie made the session and auth middleware
    read the database before the view, which turned the outage into a 500 HTML page."""
    client = Client(raise_request_exception=False)
    if signed_in:
        client.force_login(auditor)
    client.cookies["sessionid"] = client.cookies["sessionid"].value if signed_in else "not-a-real-session"
    client.cookies["csrftoken"] = "x" * 32

    def unreachable(*args, **kwargs):
        raise OperationalError(FAULT)

    with patch.object(connection, "ensure_connection", unreachable), connection.execute_wrapper(DatabaseGoesAway(0)):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "error", "database": "unavailable"}
    assert client.get("/healthz").json() == {"status": "ok", "database": "ok"}


def test_the_health_middleware_answers_the_urlconfs_healthz():
    from django.urls import reverse

    from tracker.health import HealthCheckMiddleware

    assert reverse("healthz") == HealthCheckMiddleware.path
