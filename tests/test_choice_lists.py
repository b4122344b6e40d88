"""The table filter's choice lists, kept in the cache under the data version: every way
their sources change shows on the very next page, and a page with the lists kept costs no
query for them."""

import datetime
import re

import pytest

from bench import synthetic
from recommendations import choice_lists
from recommendations.models import AuditDimension, Owner
from recommendations.services import recommendations_carry_forward
from tests.factories import generate_synthetic, make_owner, make_recommendation, make_report

pytestmark = pytest.mark.django_db

TABLE = "/recommendations/"


def options(page: str, name: str) -> list[str]:
    """The option labels of the <select name=...> on the page, or of its checkboxes named so."""
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', page, re.S)
    if select:
        return re.findall(r"<option [^>]*>([^<]*)</option>", select.group(1))
    boxes = re.findall(rf'type="checkbox" name="{name}" [^>]*><label [^>]*>([^<]*)</label>', page)
    assert boxes, name
    return boxes


def table(client) -> str:
    response = client.get(TABLE)
    assert response.status_code == 200
    return response.content.decode()


def test_a_kept_page_costs_no_query_for_the_lists(auditor_client, seeded, django_assert_num_queries):
    first = table(auditor_client)  # builds the lists under the current data version
    with django_assert_num_queries(3):  # session, user, roles: the results block and its lists are kept
        again = table(auditor_client)
    csrf = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')
    assert csrf.sub("", again) == csrf.sub("", first)  # the same page, to the byte


def test_owners_renamed_added_and_removed_show_at_once(auditor_client, seeded):
    before = options(table(auditor_client), "owner")
    assert "COSLA" in before
    cosla = Owner.objects.get(slug="cosla")
    cosla.name = "Convention of Scottish Local Authorities"
    cosla.save()
    new = make_owner("Brand new owner")
    page = table(auditor_client)
    assert "Convention of Scottish Local Authorities" in options(page, "owner")
    assert "Brand new owner" in options(page, "owner") and "COSLA" not in options(page, "owner")
    assert auditor_client.get(TABLE, {"owner": new.slug}).status_code == 200
    assert "Select a valid choice" not in auditor_client.get(TABLE, {"owner": new.slug}).content.decode()
    new.delete()
    assert "Brand new owner" not in options(table(auditor_client), "owner")


def test_themes_dimensions_and_reports_show_at_once(auditor_client, seeded):
    table(auditor_client)
    report = make_report("A report made just now", published=datetime.date(2019, 1, 1))
    rec = make_recommendation(report, owners=[Owner.objects.get(slug="cosla")], theme="A theme made just now")
    AuditDimension.objects.create(name="A dimension made just now", slug="a-dimension-made-just-now")
    page = table(auditor_client)
    assert "A theme made just now" in options(page, "theme")
    assert "A dimension made just now" in page
    assert "A report made just now" in options(page, "report")
    later = make_report("A later report", published=datetime.date(2020, 1, 1))
    recommendations_carry_forward(recommendations=[rec], into=later)
    assert "A later report" in options(table(auditor_client), "report")


def test_another_process_changing_the_data_is_seen(auditor_client, seeded):
    """The version lives in the shared cache: a write in another process (here, the same
    change made with no signal, then the version moved as that process's signal would)."""
    table(auditor_client)
    Owner.objects.filter(slug="cosla").update(name="Renamed elsewhere")
    assert "Renamed elsewhere" not in options(table(auditor_client), "owner")  # kept
    choice_lists.changed()
    assert "Renamed elsewhere" in options(table(auditor_client), "owner")


def test_an_emptied_cache_builds_the_lists_again(auditor_client, seeded):
    from django.core.cache import cache

    table(auditor_client)
    Owner.objects.filter(slug="cosla").update(name="Cache emptied")
    cache.clear()  # a restarted Redis, or a cleared one after restoring a backup
    assert "Cache emptied" in options(table(auditor_client), "owner")


def test_progress_updates_give_a_new_data_version(seeded):
    from recommendations.models import Recommendation
    from tests.factories import add_update
    from tracker.cache import data_version

    before = data_version()
    add_update(Recommendation.objects.first())
    assert data_version() != before


def test_generated_data_shows_at_once(auditor_client, seeded):
    table(auditor_client)
    generate_synthetic(30, updates=60, reports=2, extra_owners=3)
    names = options(table(auditor_client), "owner")
    assert sum(name.startswith("Synthetic") for name in names) == 3, names
    synthetic.reset()
    assert not any(name.startswith("Synthetic") for name in options(table(auditor_client), "owner"))
