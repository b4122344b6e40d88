"""Recommendation.owner_names (its owners' names, sorted, joined with "; ") stays equal to
its owners whichever road they change by; the exports print it, and the table sorts
"Addressed to" by it."""

import csv
import datetime
import io
import re

import pytest

from recommendations.models import Owner, Recommendation
from recommendations.services import recommendations_carry_forward
from reports.models import ReportKind
from tests.factories import at_migration, generate_synthetic, make_owner, make_recommendation, make_report
from tests.importing import csv_bytes, import_file
from tests.test_import import good_rows, new_report  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db


def expected(rec) -> str:
    return "; ".join(sorted(rec.owners.values_list("name", flat=True)))


def assert_consistent(recs=None) -> int:
    recs = Recommendation.objects.all() if recs is None else recs
    wrong = [(r.pk, r.owner_names, expected(r)) for r in recs if r.owner_names != expected(r)]
    assert not wrong
    return len(recs)


def stored(rec) -> str:
    return Recommendation.objects.get(pk=rec.pk).owner_names


def test_the_seeded_recommendations_have_their_owners_names(seeded):
    assert assert_consistent() == 50
    assert Recommendation.objects.filter(owner_names="COSLA; Scottish Government").exists()


def test_adding_removing_and_clearing_owners(db):
    zeta, alpha, mid = make_owner("Zeta Council"), make_owner("Alpha Board"), make_owner("Mid Agency")
    rec = make_recommendation(owners=[zeta])
    assert stored(rec) == "Zeta Council"
    rec.owners.add(alpha, mid)
    assert stored(rec) == "Alpha Board; Mid Agency; Zeta Council"
    rec.owners.remove(mid)
    assert stored(rec) == "Alpha Board; Zeta Council"
    rec.owners.set([mid])
    assert stored(rec) == "Mid Agency"
    rec.owners.clear()
    assert stored(rec) == ""


def test_changes_made_from_the_owners_side(db):
    alpha, beta = make_owner("Alpha Board"), make_owner("Beta Board")
    first, second = make_recommendation(owners=[beta]), make_recommendation(owners=[beta])
    alpha.recommendations.add(first, second)
    assert stored(first) == stored(second) == "Alpha Board; Beta Board"
    alpha.recommendations.remove(second)
    assert stored(second) == "Beta Board"
    beta.recommendations.clear()
    assert stored(first) == "Alpha Board" and stored(second) == ""


def test_renaming_an_owner_renames_it_on_every_recommendation(seeded):
    cosla = Owner.objects.get(slug="cosla")
    addressed = list(Recommendation.objects.filter(owners=cosla))
    cosla.name = "Convention of Scottish Local Authorities"
    cosla.save()
    assert addressed and all("Convention of Scottish Local Authorities" in stored(r) for r in addressed)
    assert assert_consistent() == 50


def test_saving_an_owner_without_renaming_it_leaves_the_recommendations_alone(seeded, django_assert_num_queries):
    cosla = Owner.objects.get(slug="cosla")
    cosla.description = "Councils' umbrella body."
    with django_assert_num_queries(2):  # the name as stored, the owner: no recommendation
        cosla.save()


def test_deleting_an_owner_takes_it_off_its_recommendations(db):
    gone, kept = make_owner("Gone Agency"), make_owner("Kept Agency")
    rec = make_recommendation(owners=[gone, kept])
    gone.delete()
    assert stored(rec) == "Kept Agency"


def test_imported_and_carried_forward_recommendations(admin_client_, new_report):  # noqa: F811
    import_file(admin_client_, csv_bytes(good_rows()))
    imported = list(new_report.recommendations.all())
    assert [r.owner_names for r in imported] == ["COSLA; Scottish Government"] * 3
    later = make_report("Later", published=datetime.date(2027, 1, 1))
    carried = recommendations_carry_forward(recommendations=imported[:1], into=later)
    assert stored(carried[0]) == "COSLA; Scottish Government"


def test_generated_recommendations_have_their_owners_names(seeded):
    generate_synthetic(60, updates=120, reports=3, extra_owners=4)
    assert assert_consistent() == 110


@pytest.mark.django_db(transaction=True)
def test_the_migration_fills_existing_recommendations():
    with at_migration("recommendations", "0007_choice_lists_version") as old:
        OldOwner = old.get_model("recommendations", "Owner")
        OldRec = old.get_model("recommendations", "Recommendation")
        report = old.get_model("reports", "Report").objects.create(
            title="Before", slug="before", published=datetime.date(2015, 1, 1), kind=ReportKind.PERFORMANCE_AUDIT.value
        )
        owners = [OldOwner.objects.create(name=name, slug=name.lower(), kind="national_government") for name in "BCA"]
        both = OldRec.objects.create(report=report, number=1, text="Both.")
        both.owners.set(owners[:2])
        nobody = OldRec.objects.create(report=report, number=2, text="Nobody.")
    assert Recommendation.objects.get(pk=both.pk).owner_names == "B; C"
    assert Recommendation.objects.get(pk=nobody.pk).owner_names == ""


def test_the_table_sorts_addressed_to_by_the_names(seeded, auditor_client):
    def order(sort):
        page = auditor_client.get("/recommendations/", {"sort": sort, "per_page": 100}).content.decode()
        return [int(pk) for pk in _row_ids(page)]

    # In the database's own collation (PostgreSQL's is not Python's code point order).
    by_names = list(Recommendation.objects.order_by("owner_names", "pk").values_list("pk", flat=True))
    assert order("owners") == by_names
    assert order("-owners") == by_names[::-1]
    first = Recommendation.objects.get(pk=by_names[0])
    named_first = Owner.objects.filter(recommendations__isnull=False).order_by("name").values_list("name", flat=True)
    assert first.owner_names.split("; ")[0] == named_first[0]


def _row_ids(page: str) -> list[str]:
    return re.findall(r'<td class="tracker-table__ref"[^>]*><a href="/recommendations/(\d+)/">', page)


def test_exports_print_the_names(seeded, auditor_client):
    rec = Recommendation.objects.filter(owners__slug="cosla").first()
    response = auditor_client.get("/recommendations/", {"_export": "csv"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    owners_column = rows[0].index("Owners")
    texts = {row[3]: row[owners_column] for row in rows[1:]}
    assert texts[rec.text] == expected(rec)
