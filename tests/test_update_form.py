"""The auditor's update form as a browser sends it: where it posts, what a stale form does
on a second try, and summaries that sanitise to nothing (issue #17)."""

import datetime
import re

import pytest

from recommendations.models import ProgressUpdate, Recommendation, Status
from tests.factories import add_update
from tests.xss_payloads import PAYLOADS, assert_no_executable_vector
from tracker import richtext

pytestmark = pytest.mark.django_db

R2016 = "community-planning-update-2016"


def _form_data(page: str) -> dict:
    """What the rendered form would send back as it stands: its hidden seen_latest and the
    values a user would fill in."""
    seen = re.search(r'<input type="hidden" name="seen_latest" value="(\d+)"', page)
    assert seen, "the form carries the update it was opened on"
    return {
        "rag": str(Status.GREEN.value),
        "assessed_on": datetime.date.today().isoformat(),
        "summary": "The route map was published with milestones.",
        "evidence": "",
        "published_in": "",
        "corrects": "",
        "seen_latest": seen.group(1),
    }


def _stale(auditor_client, rec):
    """The auditor opens the form, a colleague then records an update, the auditor posts."""
    opened = _form_data(auditor_client.get(rec.get_absolute_url()).content.decode())
    newer = add_update(rec, rag=Status.RED, summary="A colleague's newer assessment.", on=datetime.date(2019, 1, 1))
    return opened, newer


def test_the_form_posts_to_the_recommendations_own_page(auditor_client, seeded):
    rec = Recommendation.objects.get(report__slug=R2016, number=8)
    page = auditor_client.get(rec.get_absolute_url()).content.decode()
    assert f'<form method="post" action="{rec.get_absolute_url()}"' in page
    response = auditor_client.post(rec.get_absolute_url(), _form_data(page))
    assert response.status_code == 302 and response["Location"] == rec.get_absolute_url()
    assert rec.updates.filter(summary="The route map was published with milestones.").exists()


def test_the_former_address_still_records_a_post_and_sends_a_get_to_the_recommendation(auditor_client, seeded):
    rec = Recommendation.objects.get(report__slug=R2016, number=8)
    before = rec.updates.count()
    response = auditor_client.get(f"/recommendations/{rec.pk}/updates/")
    assert response.status_code == 302 and response["Location"] == rec.get_absolute_url()
    assert rec.updates.count() == before  # a GET records nothing
    data = _form_data(auditor_client.get(rec.get_absolute_url()).content.decode())
    assert auditor_client.post(f"/recommendations/{rec.pk}/updates/", data).status_code == 302
    assert rec.updates.count() == before + 1


def test_posting_again_after_the_warning_without_ticking_the_box_is_warned_again(auditor_client, seeded):
    rec = Recommendation.objects.get(report__slug=R2016, number=8)
    opened, newer = _stale(auditor_client, rec)
    count = rec.updates.count()

    warned = auditor_client.post(rec.get_absolute_url(), opened)
    assert warned.status_code == 409
    # The page as shown again is what the auditor posts next: without ticking the box.
    again = _form_data(warned.content.decode())
    assert "confirm" not in again
    second = auditor_client.post(rec.get_absolute_url(), again)
    assert second.status_code == 409
    assert "Someone else recorded 1 update after you opened this form" in second.content.decode()
    assert rec.updates.count() == count

    confirmed = auditor_client.post(rec.get_absolute_url(), {**again, "confirm": "on"})
    assert confirmed.status_code == 302
    assert rec.updates.count() == count + 1
    assert rec.updates.order_by("-pk").first().pk > newer.pk


def test_the_warning_opens_the_page_and_links_to_the_newer_update(auditor_client, seeded):
    rec = Recommendation.objects.get(report__slug=R2016, number=8)
    opened, newer = _stale(auditor_client, rec)
    page = auditor_client.post(rec.get_absolute_url(), opened).content.decode()
    content = page[page.index('<div class="ds_layout__content">') :]
    warning = re.search(r'<div class="ds_error-summary" id="stale-warning"[^>]*>', content)
    assert warning, "the warning is an error summary"
    assert 'tabindex="-1"' in warning.group(0)  # static/js/tracker.js focuses it on load
    assert content.index('id="stale-warning"') < content.index("tracker-recommendation-text")  # before anything else
    assert f'href="#update-{newer.pk}"' in content and f'id="update-{newer.pk}"' in content
    assert 'href="#id_confirm"' in content and 'id="id_confirm"' in content


@pytest.mark.parametrize(
    "summary",
    [
        "<script>x</script>",
        "<!-- x -->",
        "<br>",
        "<p></p>",
        "<p> </p>\n<br/> <p>&nbsp;</p>",
        "<em>  </em><strong>\t</strong>",
        "<style>p { color: red }</style>",
    ],
)
def test_a_summary_of_markup_alone_is_a_form_error_and_nothing_is_stored(auditor_client, seeded, summary):
    rec = Recommendation.objects.get(report__slug=R2016, number=8)
    data = _form_data(auditor_client.get(rec.get_absolute_url()).content.decode())
    before = ProgressUpdate.objects.count()
    response = auditor_client.post(rec.get_absolute_url(), {**data, "summary": summary})
    assert response.status_code == 400
    assert response.context["form"].errors["summary"] == [
        "Say what the assessment found: the summary has formatting or code but no text."
    ]
    assert "There is a problem" in response.content.decode()
    assert ProgressUpdate.objects.count() == before


def test_every_xss_payload_as_a_summary_is_stored_sanitised_or_refused(auditor_client, seeded):
    """Never a 500: a payload with text left after sanitising is stored (and shown without
    anything that could run); one with nothing left is the summary's form error."""
    rec = Recommendation.objects.get(report__slug=R2016, number=8)
    data = _form_data(auditor_client.get(rec.get_absolute_url()).content.decode())
    stored, refused = [], []
    for payload in PAYLOADS:
        response = auditor_client.post(rec.get_absolute_url(), {**data, "summary": payload, "confirm": "on"})
        assert response.status_code in (302, 400), (payload, response.status_code)
        if response.status_code == 400:
            assert list(response.context["form"].errors) == ["summary"], payload
            assert not richtext.plain(richtext.sanitise(payload)).strip()
            refused.append(payload)
        else:
            latest = rec.updates.order_by("-pk").first()
            assert latest.summary == richtext.sanitise(payload)
            stored.append(payload)
    assert stored and refused  # the corpus reaches both roads
    assert_no_executable_vector(auditor_client.get(rec.get_absolute_url()).content.decode(), stored)
