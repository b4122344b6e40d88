"""The whole portfolio "as at" a date: counts checked against each recommendation's
history read the slow, obvious way, on the seed data and on histories written out of
order, on the same day, and dated before their report by a coarser precision."""

import datetime

import pytest
from django.db.models import Count

from recommendations import selectors
from recommendations.access import EVERYTHING, scope_for
from recommendations.models import Owner, ProgressUpdate, Recommendation, Status
from reports.models import ReportKind
from tests.factories import add_update, at_migration, generate_synthetic, make_owner, make_recommendation, make_report
from tracker.dates import DatePrecision

pytestmark = pytest.mark.django_db

NEVER = Status.NEVER_ASSESSED.value


def expected_counts(as_at, *, recs=None, updates=None, by_report=False) -> dict:
    """Each recommendation counts from its report's publication or its first assessment,
    whichever is earlier, with its latest national assessment (a local response sets no
    one's status) dated on or before ``as_at`` (by date assessed, created, id): computed
    row by row in Python."""
    recs = Recommendation.objects.all() if recs is None else recs
    updates = ProgressUpdate.objects.filter(concerns__isnull=True) if updates is None else updates
    latest = {}
    for rec_id, rag in (
        updates.filter(assessed_on__lte=as_at)
        .order_by("assessed_on", "created", "id")
        .values_list("recommendation_id", "rag")
    ):
        latest[rec_id] = rag
    counts: dict = {}
    for pk, report_id, published in recs.values_list("pk", "report_id", "report__published"):
        if published > as_at and pk not in latest:
            continue
        bucket = counts.setdefault(report_id if by_report else None, {})
        status = latest.get(pk, NEVER)
        bucket[status] = bucket.get(status, 0) + 1
    return counts


def assert_history_links_consistent():
    """superseded_on is the next update's date assessed in the same stream (national, or one
    organisation's local responses); first_assessed_on the first national assessment's."""
    following, first = {}, {}
    previous = {}
    for pk, rec_id, concerns_id, assessed_on in ProgressUpdate.objects.order_by(
        "recommendation_id", "assessed_on", "created", "id"
    ).values_list("pk", "recommendation_id", "concerns_id", "assessed_on"):
        stream = (rec_id, concerns_id)
        if stream in previous:
            following[previous[stream]] = assessed_on
        elif concerns_id is None:
            first[rec_id] = assessed_on
        previous[stream] = pk
    stored = dict(ProgressUpdate.objects.values_list("pk", "superseded_on"))
    assert stored == {pk: following.get(pk) for pk in stored}
    assert dict(Recommendation.objects.values_list("pk", "first_assessed_on")) == {
        pk: first.get(pk) for pk in Recommendation.objects.values_list("pk", flat=True)
    }


def probe_dates() -> list[datetime.date]:
    """Every date on which something happened, the day before and the day after."""
    days = set(ProgressUpdate.objects.values_list("assessed_on", flat=True))
    days |= set(Recommendation.objects.values_list("report__published", flat=True))
    one = datetime.timedelta(days=1)
    return sorted({d + delta for d in days for delta in (-one, datetime.timedelta(0), one)})


def test_seed_data_counts_match_every_history_on_every_date(seeded):
    assert_history_links_consistent()
    dates = probe_dates()
    assert len(dates) >= 15
    for as_at in dates:
        assert selectors.status_counts_as_at(as_at, scope=EVERYTHING) == expected_counts(as_at), as_at


def test_seed_data_whole_portfolio_by_hand(seeded):
    # By the end of 2006 only the initial review was out: 21 recommendations, none assessed.
    assert selectors.status_counts_as_at(datetime.date(2006, 12, 31), scope=EVERYTHING) == {None: {NEVER: 21}}
    # Today: the same as the current status of all 50.
    today = selectors.status_counts_as_at(datetime.date.today(), scope=EVERYTHING)[None]
    assert sum(today.values()) == Recommendation.objects.count() == 50
    assert today == dict(Recommendation.objects.values_list("status").order_by().annotate(n=Count("id")))


def test_counts_by_report_match_each_report(seeded):
    report_ids = list(Recommendation.objects.values_list("report_id", flat=True).distinct())
    for as_at in (datetime.date(2013, 1, 1), datetime.date(2016, 7, 1), datetime.date(2018, 8, 1)):
        got = selectors.status_counts_as_at(as_at, scope=EVERYTHING, report_ids=report_ids)
        assert got == expected_counts(as_at, by_report=True)


@pytest.fixture
def tangled():
    """Histories written out of order, two on one day, one dated by year before its
    report's day, and one recommendation never assessed."""
    report = make_report(published=datetime.date(2016, 3, 3))
    later = make_report(published=datetime.date(2019, 5, 5))
    owner = make_owner()
    a, b, c, d = (make_recommendation(report, owners=[owner]) for _ in range(4))
    e = make_recommendation(later, owners=[owner])
    add_update(a, rag=Status.GREEN, on=datetime.date(2018, 6, 1))
    add_update(a, rag=Status.RED, on=datetime.date(2017, 1, 10))  # back-dated: before the Green
    add_update(a, rag=Status.AMBER, on=datetime.date(2017, 6, 1))  # between the two
    add_update(b, rag=Status.RED, on=datetime.date(2017, 2, 2))
    add_update(b, rag=Status.GREEN, on=datetime.date(2017, 2, 2))  # same day, recorded later: wins
    add_update(c, rag=Status.AMBER, on=datetime.date(2016, 1, 1), assessed_precision=DatePrecision.YEAR)
    add_update(e, rag=Status.NOT_RATED, on=datetime.date(2019, 5, 1), assessed_precision=DatePrecision.MONTH)
    return {"a": a, "b": b, "c": c, "d": d, "e": e}


def test_out_of_order_same_day_and_coarse_dates(tangled):
    assert_history_links_consistent()
    mine = Recommendation.objects.filter(pk__in=[r.pk for r in tangled.values()])
    ask = {
        datetime.date(2016, 2, 1): {Status.AMBER: 1},  # c, assessed "2016", before its report's day
        datetime.date(2016, 3, 3): {Status.AMBER: 1, NEVER: 3},
        datetime.date(2017, 1, 10): {Status.RED: 1, Status.AMBER: 1, NEVER: 2},
        datetime.date(2017, 2, 2): {Status.RED: 1, Status.GREEN: 1, Status.AMBER: 1, NEVER: 1},
        datetime.date(2017, 6, 1): {Status.AMBER: 2, Status.GREEN: 1, NEVER: 1},
        datetime.date(2019, 5, 1): {Status.GREEN: 2, Status.AMBER: 1, Status.NOT_RATED: 1, NEVER: 1},
    }
    for as_at, expected in ask.items():
        everything = selectors.status_counts_as_at(as_at, scope=EVERYTHING)[None]
        assert expected_counts(as_at, recs=mine)[None] == expected, as_at
        # The seed data is there too: the whole database, less what it adds, is this.
        seed = expected_counts(as_at, recs=Recommendation.objects.exclude(pk__in=mine))
        whole = {k: v - seed.get(None, {}).get(k, 0) for k, v in everything.items()}
        assert {k: v for k, v in whole.items() if v} == expected, as_at


def test_recording_updates_keeps_the_links(tangled):
    a = tangled["a"]
    add_update(a, rag=Status.RED, on=datetime.date(2016, 6, 1))  # earliest of all now
    add_update(a, rag=Status.GREEN, on=datetime.date(2020, 1, 1))  # latest
    assert_history_links_consistent()
    a.refresh_from_db()
    assert (a.status, a.status_date, a.first_assessed_on, a.update_count) == (
        Status.GREEN,
        datetime.date(2020, 1, 1),
        datetime.date(2016, 6, 1),
        5,
    )


def test_officers_count_only_what_they_may_see(seeded, org_a, officer_a):
    """An officer of a CPP sees the recommendations addressed to it (or to all CPPs); their
    counts come from national assessments only: another organisation's local response is
    never theirs to see, and their own is their organisation's, not the national status."""
    other = Owner.objects.filter(kind=Owner.Kind.CPP, all_cpps=False).exclude(pk=org_a.pk).first()
    everyone = Owner.objects.get(all_cpps=True)
    report = make_report(published=datetime.date(2019, 1, 1))
    shared = make_recommendation(report, owners=[everyone])
    add_update(shared, rag=Status.AMBER, on=datetime.date(2019, 6, 1))
    add_update(shared, rag=Status.RED, on=datetime.date(2019, 9, 1), concerns=other)  # not org_a's to see
    add_update(shared, rag=Status.GREEN, on=datetime.date(2019, 9, 2), concerns=org_a)  # org_a's own
    scope = scope_for(officer_a)
    assert not scope.everything
    visible = scope.recommendations(Recommendation.objects.all())
    national = ProgressUpdate.objects.filter(concerns__isnull=True)
    for as_at in (datetime.date(2016, 7, 1), datetime.date(2019, 7, 1), datetime.date(2019, 10, 1)):
        got = selectors.status_counts_as_at(as_at, scope=scope)
        assert got == expected_counts(as_at, recs=visible, updates=national)
    after = selectors.status_counts_as_at(datetime.date(2019, 10, 1), scope=scope)[None]
    before = selectors.status_counts_as_at(datetime.date(2019, 7, 1), scope=scope)[None]
    assert after == before  # neither local response moves the national counts
    assert after.get(Status.AMBER, 0) >= 1 and Status.RED not in after
    # The auditor counts national status too: the Red is the other CPP's, not everyone's.
    auditor = selectors.status_counts_as_at(datetime.date(2019, 10, 1), scope=EVERYTHING)[None]
    assert auditor == expected_counts(datetime.date(2019, 10, 1))[None]
    assert auditor == selectors.status_counts_as_at(datetime.date(2019, 7, 1), scope=EVERYTHING)[None]


# --- The page ----------------------------------------------------------------------------


def test_portfolio_as_at_a_date(auditor_client, seeded):
    page = auditor_client.get("/", {"as_at": "2006-12-31"}).content.decode()
    assert "Showing the portfolio as it stood on <strong>31 December 2006</strong>" in page
    assert "21 recommendations in 1 publication. Their status as at 31 December 2006:" in page
    assert "Status as at 31 December 2006" in page
    assert "/reports/community-planning-initial-review-2006/?as_at=2006-12-31" in page
    assert "Improving community planning" not in page  # 2013: not out yet
    assert "No progress had been recorded by then." in page
    today = auditor_client.get("/").content.decode()
    assert "50 recommendations in 7 publications. Their current status:" in today
    assert "Showing the portfolio as it stood" not in today


def test_portfolio_as_at_refuses_future_and_malformed_dates(auditor_client, seeded):
    future = (datetime.date.today() + datetime.timedelta(days=2)).isoformat()
    page = auditor_client.get("/", {"as_at": future}).content.decode()
    assert "Choose today or an earlier date" in page
    assert "Their current status:" in page
    page = auditor_client.get("/", {"as_at": "31/02/2016"}).content.decode()
    assert "31/02/2016 is not a real date: February 2016 has 29 days." in page and "Their current status:" in page


def test_portfolio_as_at_pages_keep_the_date(auditor_client, seeded):
    for i in range(30):
        make_report(title=f"Later report {i:02}", published=datetime.date(2020, 1, 1 + i))
    page = auditor_client.get("/", {"as_at": "2020-12-31"}).content.decode()
    assert "Page 1 of 2" in page
    assert "as_at=2020-12-31&amp;page=2" in page or "page=2&amp;as_at=2020-12-31" in page
    second = auditor_client.get("/", {"as_at": "2020-12-31", "page": 2}).content.decode()
    assert "Showing the portfolio as it stood on <strong>31 December 2020</strong>" in second


@pytest.mark.parametrize("n", [5, 120])
def test_portfolio_as_at_queries_do_not_grow(auditor_client, django_assert_max_num_queries, n):
    report = make_report(published=datetime.date(2017, 1, 1))
    owners = [make_owner() for _ in range(3)]
    for i in range(n):
        rec = make_recommendation(report, owners=owners[: 1 + i % 3])
        for day in range(1 + i % 3):
            add_update(
                rec, rag=[Status.RED, Status.AMBER, Status.GREEN][(i + day) % 3], on=datetime.date(2018, 1, 1 + day)
            )
    as_at = datetime.date(2018, 1, 2)
    # 12: what the follow-up publications published (1); the ratings' definitions (1, #19).
    # Plus closures by then (4) and implementation over time (7) (#20).
    with django_assert_max_num_queries(24):
        page = auditor_client.get("/", {"as_at": as_at.isoformat()}).content.decode()
    total = sum(expected_counts(as_at)[None].values())
    assert total > n and f"{total} recommendations in" in page


# --- Where the links come from: the migration and the generator --------------------------


@pytest.mark.django_db(transaction=True)
def test_migration_fills_the_links_for_existing_history():
    with at_migration("recommendations", "0005_stored_search_document") as old:
        Report = old.get_model("reports", "Report")
        Rec = old.get_model("recommendations", "Recommendation")
        Update = old.get_model("recommendations", "ProgressUpdate")
        report = Report.objects.create(
            title="Before", slug="before", published=datetime.date(2015, 1, 1), kind=ReportKind.PERFORMANCE_AUDIT.value
        )
        rec = Rec.objects.create(
            report=report, number=1, text="Do it.", status=2, status_date=datetime.date(2016, 1, 1), update_count=3
        )
        never = Rec.objects.create(report=report, number=2, text="Not yet.")
        stamp = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
        u2 = Update.objects.create(
            recommendation=rec, assessed_on=datetime.date(2016, 1, 1), rag=1, summary="b", created=stamp
        )
        u1 = Update.objects.create(
            recommendation=rec, assessed_on=datetime.date(2015, 6, 1), rag=3, summary="a", created=stamp
        )
        u3 = Update.objects.create(
            recommendation=rec, assessed_on=datetime.date(2016, 1, 1), rag=2, summary="c", created=stamp
        )
    superseded = dict(ProgressUpdate.objects.filter(recommendation_id=rec.pk).values_list("pk", "superseded_on"))
    assert superseded == {u1.pk: datetime.date(2016, 1, 1), u2.pk: datetime.date(2016, 1, 1), u3.pk: None}
    assert Recommendation.objects.get(pk=rec.pk).first_assessed_on == datetime.date(2015, 6, 1)
    assert Recommendation.objects.get(pk=never.pk).first_assessed_on is None


def test_generated_history_has_the_links(seeded):
    generate_synthetic(60, updates=480, reports=3, extra_owners=4)
    assert_history_links_consistent()
    for as_at in (datetime.date(2000, 1, 1), datetime.date(2012, 6, 30), datetime.date(2024, 1, 1)):
        assert selectors.status_counts_as_at(as_at, scope=EVERYTHING) == expected_counts(as_at)
