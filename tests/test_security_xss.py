"""Cross-site scripting: every payload in tests/xss_payloads.py goes into every free-text
field, through the roads people use — the admin's add forms (a report, a publisher, an
organisation, a recommendation, a progress update) and the auditor's update form —
and every page that shows those fields, the site's and the admin's, must contain no
executable vector (escaped or sanitised, either is fine).

The admin forms are filled the way a browser would: the add page is fetched, its
form's fields read back (inline management forms included) and posted with the
payload in the free-text fields. Each stored value starts with a plain marker
("XSS07"), so each page check also proves the page really shows the field.
"""

import datetime
from html.parser import HTMLParser

import pytest
from django.test import Client

from recommendations.models import Owner, ProgressUpdate, Recommendation
from reports.models import Publisher, Report
from tests.conftest import _make_user
from tests.xss_payloads import PAYLOADS, assert_no_executable_vector
from tracker.roles import OFFICER

pytestmark = pytest.mark.django_db

# Free-text fields, by the form that writes them (the admin's, or the update form).
ADMIN_FIELDS = {
    "report": ["title", "short_title", "summary"],
    "publisher": ["name"],
    "owner": ["name", "abbreviation", "description", "former_names", "council_area"],
    "recommendation": ["theme", "text"],
    "progressupdate": ["part", "summary"],
}
UPDATE_FORM_FIELDS = ["summary"]
FIELD_COUNT = sum(map(len, ADMIN_FIELDS.values())) + len(UPDATE_FORM_FIELDS)


class _FormReader(HTMLParser):
    """The fields a browser would submit from the page's main form."""

    def __init__(self, form_id: str):
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.in_form = False
        self.fields: dict[str, list[str]] = {}
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("id") == self.form_id:
            self.in_form = True
        if not self.in_form or "name" not in a and tag != "option":
            return
        if tag == "input" and a.get("type") not in ("submit", "button", "file", "image", "reset"):
            checkable = a.get("type") in ("checkbox", "radio")
            if checkable and "checked" not in a:
                return
            self.fields.setdefault(a["name"], []).append(a.get("value", "on" if checkable else ""))
        elif tag == "textarea":
            self._textarea = a["name"]
            self.fields[a["name"]] = [""]
        elif tag == "select":
            self._select = a["name"]
            self.fields.setdefault(a["name"], [])
        elif tag == "option" and self._select and "selected" in a:
            self.fields[self._select].append(a.get("value", ""))

    def handle_endtag(self, tag):
        if tag == "form":
            self.in_form = False
        elif tag == "textarea" and self._textarea:
            # A browser drops the newline that follows <textarea>.
            self.fields[self._textarea][0] = self.fields[self._textarea][0].removeprefix("\n")
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data):
        if self._textarea:
            self.fields[self._textarea][0] += data


_blank_forms: dict[str, dict] = {}


def _blank_form(client, path: str, model: str) -> dict:
    """The fields the empty add form submits (read once per model: the slowest request here)."""
    if path not in _blank_forms:
        page = client.get(path)
        assert page.status_code == 200, path
        reader = _FormReader(f"{model}_form")
        reader.feed(page.content.decode())
        data = {name: values[0] if len(values) == 1 else values for name, values in reader.fields.items()}
        _blank_forms[path] = {k: v for k, v in data.items() if v != []}
    return dict(_blank_forms[path])


def _admin_add(client, model: str, app: str, values: dict) -> None:
    """Fill in the admin's add form for ``model`` as a browser would, and save it."""
    path = f"/admin/{app}/{model}/add/"
    data = _blank_form(client, path, model)
    data.update(values)
    response = client.post(path, data)
    assert response.status_code == 302, f"{path}: not saved: {_errors(response)}"


def _errors(response) -> str:
    context = response.context or {}
    form = context.get("adminform")
    return str(form.form.errors) if form else response.content.decode()[:500]


def _text(n: int, payload: str, max_length: int) -> str:
    return f"XSS{n:02d} {payload}"[:max_length]


def _plant(n: int, payload: str, admin: Client, auditor: Client) -> dict:
    """Payload number ``n`` in every free-text field, through the admin and the update form."""
    publisher_name = _text(n, payload, 200)
    _admin_add(admin, "publisher", "reports", {"name": publisher_name})
    publisher = Publisher.objects.get(name__startswith=f"XSS{n:02d}")

    _admin_add(
        admin,
        "report",
        "reports",
        {
            "title": _text(n, payload, 300),
            "short_title": _text(n, payload, 120),
            "slug": f"xss-report-{n}",
            "kind": Report.Kind.PERFORMANCE_AUDIT,
            "publishers": [str(publisher.pk)],
            "published": "2020-01-01",
            "published_precision": "day",
            "summary": _text(n, payload, 20000),
        },
    )
    report = Report.objects.get(slug=f"xss-report-{n}")

    _admin_add(
        admin,
        "owner",
        "recommendations",
        {
            "name": _text(n, payload, 200),
            "slug": f"xss-owner-{n}",
            "kind": Owner.Kind.OTHER_PARTNER,
            "abbreviation": _text(n, payload, 30),
            "description": _text(n, payload, 5000),
            "former_names": _text(n, payload, 5000),
            "council_area": _text(n, payload, 100),
        },
    )
    owner = Owner.objects.get(slug=f"xss-owner-{n}")

    _admin_add(
        admin,
        "recommendation",
        "recommendations",
        {
            "report": str(report.pk),
            "number": "1",
            "theme": _text(n, payload, 200),
            "text": _text(n, payload, 20000),
            "owners": [str(owner.pk)],
        },
    )
    rec = Recommendation.objects.get(report=report)

    _admin_add(
        admin,
        "progressupdate",
        "recommendations",
        {
            "recommendation": str(rec.pk),
            "assessed_on": "2021-06-01",
            "assessed_precision": "day",
            "rag": "2",
            "part": _text(n, payload, 200),
            "summary": _text(n, payload, 20000),
            "evidence": "[]",
            "published_in": str(report.pk),
            "concerns": str(owner.pk),
        },
    )
    response = auditor.post(
        f"/recommendations/{rec.pk}/updates/",
        {"rag": 1, "assessed_on": "2022-03-01", "summary": _text(n, payload, 20000), "seen_latest": 10**9},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert ProgressUpdate.objects.filter(recommendation=rec).count() == 2
    return {"report": report, "owner": owner, "rec": rec, "publisher": publisher}


def _pages(planted: dict) -> list[tuple[str, str]]:
    """(who looks, path) for every page that shows the planted fields."""
    report, owner, rec, publisher = planted["report"], planted["owner"], planted["rec"], planted["publisher"]
    update = rec.updates.order_by("pk").first()
    return [
        ("auditor", "/"),
        ("auditor", "/reports/"),
        ("auditor", report.get_absolute_url()),
        ("auditor", f"{report.get_absolute_url()}appendix/"),
        ("auditor", f"/recommendations/?report={report.slug}"),
        ("auditor", rec.get_absolute_url()),
        ("auditor", "/owners/"),
        ("auditor", owner.get_absolute_url()),
        ("officer", "/my/"),
        ("admin", "/admin/reports/report/"),
        ("admin", f"/admin/reports/report/{report.pk}/change/"),
        ("admin", "/admin/reports/publisher/"),
        ("admin", f"/admin/reports/publisher/{publisher.pk}/change/"),
        ("admin", "/admin/recommendations/owner/"),
        ("admin", f"/admin/recommendations/owner/{owner.pk}/change/"),
        ("admin", "/admin/recommendations/recommendation/"),
        ("admin", f"/admin/recommendations/recommendation/{rec.pk}/change/"),
        ("admin", "/admin/recommendations/progressupdate/"),
        ("admin", f"/admin/recommendations/progressupdate/{update.pk}/change/"),
        ("admin", "/admin/"),  # recent actions name the objects
    ]


PAGE_COUNT = 20  # len(_pages(...))


@pytest.mark.parametrize("n", range(len(PAYLOADS)), ids=lambda n: f"payload{n:02d}")
def test_payload_in_every_free_text_field_is_never_executable(n, seeded, auditor, admin_user, django_user_model):
    payload = PAYLOADS[n]
    admin, auditor_client = Client(), Client()
    admin.force_login(admin_user)
    auditor_client.force_login(auditor)
    planted = _plant(n, payload, admin, auditor_client)

    officer = Client()
    officer.force_login(_make_user(django_user_model, f"xss-officer-{n}", OFFICER, [planted["owner"]]))
    clients = {"auditor": auditor_client, "admin": admin, "officer": officer}
    pages = _pages(planted)
    assert len(pages) == PAGE_COUNT
    for who, path in pages:
        response = clients[who].get(path)
        assert response.status_code == 200, path
        page = response.content.decode()
        assert f"XSS{n:02d}" in page, f"{path} does not show the planted fields"
        assert_no_executable_vector(page, [payload], where=f"on {path} (payload {n}: {payload!r})")


def test_the_corpus_is_big_and_varied_enough():
    assert len(PAYLOADS) >= 30
    for kind in ("<script", "onerror", "javascript:", "<svg", "<iframe", "&#", "data:text/html", "<object", "<embed"):
        assert any(kind.lower() in p.lower() for p in PAYLOADS), kind
    print(f"XSS: {len(PAYLOADS)} payloads x {FIELD_COUNT} fields x {PAGE_COUNT} pages")


def test_the_checker_catches_what_a_browser_would_run():
    """The checker itself, on pages that would run script (so a pass above means something)."""
    bad = [
        "<p><script>alert(1)</script></p>",
        '<img src=x onerror="alert(1)">',
        '<a href=" jav&#x09;ascript:alert(1)">x</a>',
        "<iframe src=about:blank></iframe>",
        '<svg><animate attributeName="href" values="javascript:alert(1)"/></svg>',
        '<script src="https://evil.example/x.js"></script>',
    ]
    for html in bad:
        with pytest.raises(AssertionError):
            assert_no_executable_vector(html, PAYLOADS)
    fine = [
        "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>",
        '<a href="https://example.org/" rel="noopener">x</a>',
        '<script src="/static/js/tracker.js" type="module"></script>',
        '<script type="application/json" id="data">{"a": "&lt;/script&gt;"}</script>',
    ]
    for html in fine:
        assert_no_executable_vector(html, PAYLOADS)


def test_update_form_errors_redisplay_the_payload_escaped(auditor_client, seeded):
    """An invalid post echoes the summary back into the form: escaped, not run."""
    rec = Recommendation.objects.filter(report__slug="community-planning-update-2016").first()
    for payload in PAYLOADS:
        response = auditor_client.post(
            f"/recommendations/{rec.pk}/updates/",
            {
                "rag": 9,
                "assessed_on": (datetime.date.today() + datetime.timedelta(days=9)).isoformat(),
                "summary": payload,
                "evidence": payload,
            },
        )
        assert response.status_code == 400
        assert_no_executable_vector(response.content.decode(), [payload], where=f"(payload {payload!r})")
