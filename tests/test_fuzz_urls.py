"""No input makes a 500 (issue #17): a property-based walk of the URLconf.

Every URL pattern (the admin site's own are Django's: only its index, its sign-in page and
the app's custom admin views are walked), its path parameters filled with real ids and slugs
from the seed data or with random ones its converter accepts, is requested by every persona
with a random query string (GET) or form body (POST). Keys are drawn from the real filter
and form field names and from random text; values are random text, unicode and NUL bytes,
huge and negative numbers, odd dates, real choices, and repeated keys. Whatever comes
back, it is not a 5xx.

The budget is fixed by the "ci" Hypothesis profile (tests/conftest.py): derandomized, so a
CI run is repeatable; HYPOTHESIS_PROFILE=dev searches longer on a developer's machine.
tests/test_bad_input.py pins the cases found so far as plain examples.
"""

import functools
import re
import urllib.parse
from dataclasses import dataclass

import pytest
from django import forms
from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.converters import IntConverter, SlugConverter
from django.urls.resolvers import RoutePattern
from hypothesis import given
from hypothesis import strategies as st

from recommendations.access import EVERYTHING
from recommendations.filters import RecommendationFilter
from recommendations.forms import ProgressUpdateForm
from recommendations.models import Owner, Recommendation
from reports.forms import DashboardForm
from reports.models import Report

pytestmark = pytest.mark.django_db

APPS = ("tracker", "reports", "recommendations")
PERSONAS = ["anonymous", "auditor", "officer_a", "officer_b", "admin_user"]


@dataclass(frozen=True)
class Route:
    parts: tuple  # literal text and (name, converter) pairs, in order
    name: str

    def build(self, values: dict) -> str:
        quote = functools.partial(urllib.parse.quote, safe="")
        return "/" + "".join(p if isinstance(p, str) else quote(values[p[0]]) for p in self.parts)


def _parts(pattern) -> tuple:
    """A RoutePattern's text as literals and (name, converter) pairs."""
    route, converters, parts = pattern._route, pattern.converters, []
    while "<" in route:
        literal, rest = route.split("<", 1)
        spec, route = rest.split(">", 1)
        name = spec.split(":")[-1]
        parts += [literal, (name, converters[name])]
    return (*parts, route)


def _ours(pattern: URLPattern) -> bool:
    return pattern.callback.__module__.split(".")[0] in APPS


def routes() -> list[Route]:
    """Every URL pattern, with the admin site narrowed to its index, its sign-in page and
    the views this project adds to it."""
    found = []

    def walk(patterns, prefix: tuple, namespace: str, in_admin: bool):
        for p in patterns:
            if in_admin and not isinstance(p.pattern, RoutePattern):
                continue  # the admin's own app index, by regular expression
            assert isinstance(p.pattern, RoutePattern), f"{p}: teach this walk regular expressions"
            parts = prefix + _parts(p.pattern)
            if isinstance(p, URLResolver):
                admin = in_admin or p.namespace == "admin"
                walk(p.url_patterns, parts, f"{namespace}{p.namespace}:" if p.namespace else namespace, admin)
            elif not in_admin or p.name in ("index", "login") or _ours(p):
                found.append(Route(parts, f"{namespace}{p.name}"))

    walk(get_resolver().url_patterns, (), "", False)
    return found


SORTS = ["report", "number", "text", "owners", "theme", "status", "status_date", "update_count"]
TEXT = st.text(st.characters(codec="utf-8"), max_size=30)
NUMBERS = st.one_of(
    st.integers(-(10**6), 10**6),
    st.integers(-(10**40), 10**40),
    st.sampled_from([0, -1, 1, 1899, 1900, 2016, 2100, 2101, 20160101, 99999999, 2**31, 2**63, 10**30]),
).map(str)
DATES = st.one_of(
    st.dates().map(lambda d: d.isoformat()),
    st.sampled_from(["0001-01-01", "9999-12-31", "2016-02-30", "0000-00-00", "10000-01-01", "2016-13-01", "yesterday"]),
    st.builds("{}-{:02d}-{:02d}".format, st.integers(-99999, 99999), st.integers(-99, 99), st.integers(-99, 99)),
)
ODD = st.sampled_from(["", " ", "\x00", "a\x00b", "%", "%ff", "../", "1e5", "nan", "inf", "-", "<script>", "🙂", "'"])
ANYTHING = st.one_of(TEXT, NUMBERS, DATES, ODD)
CONTROLS = {
    "page": NUMBERS,
    "per_page": NUMBERS,
    "sort": st.sampled_from([*SORTS, *(f"-{s}" for s in SORTS)]) | TEXT,
    "_export": st.sampled_from(["csv", "xlsx", "json"]) | TEXT,
}


def _choices(field) -> list[str]:
    flat = []
    for value, label in field.choices:
        flat += [str(v) for v, _ in label] if isinstance(label, (list, tuple)) else [str(value)]
    return flat[:100] or [""]


def _typed(field) -> st.SearchStrategy[str]:
    """Values of the field's own kind (a number for a year, a date, a real choice), and
    anything at all."""
    if isinstance(field, (forms.IntegerField, forms.DecimalField, forms.FloatField)):
        typed = NUMBERS
    elif isinstance(field, forms.DateField):
        typed = DATES
    elif isinstance(field, forms.ModelChoiceField):
        typed = st.sampled_from([str(pk) for pk in field.queryset.values_list("pk", flat=True)[:50]] or ["1"]) | NUMBERS
    elif isinstance(field, forms.ChoiceField):
        typed = st.sampled_from(_choices(field))
    else:
        typed = TEXT
    return st.one_of(typed, typed, ANYTHING)


@functools.cache
def _fields() -> dict[str, st.SearchStrategy[str]]:
    """Every field of every form and filter the site reads, by name, with its values."""
    recommendation = Recommendation.objects.order_by("pk").first()
    user = get_user_model()(username="fuzz")
    forms_ = [
        RecommendationFilter({}, queryset=Recommendation.objects.none(), scope=EVERYTHING).form,
        DashboardForm(),
        ProgressUpdateForm(recommendation=recommendation),
        AuthenticationForm(),
        PasswordChangeForm(user),
    ]
    fields = {name: _typed(field) for form in forms_ for name, field in form.fields.items()}
    fields["report_title"] = TEXT
    fields["next"] = st.sampled_from(["/", "/recommendations/", "https://example.com/", "//example.com"]) | TEXT
    return {**fields, **CONTROLS}


@functools.cache
def _route_keys(route: Route) -> tuple[str, ...]:
    """The fields this page's own forms send (read from its HTML as an auditor and as an
    admin would see it), and the table's controls: the keys worth trying here."""
    path, names = route.build(_real_values(route)), set(CONTROLS)
    for username in ("auditor", "admin"):
        client = Client(raise_request_exception=False)
        client.force_login(get_user_model().objects.get(username=username))
        response = client.get(path)
        if not hasattr(response, "streaming_content") and response.get("Content-Type", "").startswith("text/html"):
            names |= set(re.findall(r'name="([^"]+)"', response.content.decode()))
    return tuple(sorted(names & set(_fields()) - {"csrfmiddlewaretoken"}))


@functools.cache
def _seed_values() -> dict[str, list[str]]:
    """Real path values: ids and slugs a link would carry."""
    return {
        "pk": [str(pk) for pk in Recommendation.objects.order_by("pk").values_list("pk", flat=True)[:60]],
        "slug": [*Report.objects.values_list("slug", flat=True), *Owner.objects.values_list("slug", flat=True)[:10]],
    }


def _real_values(route: Route) -> dict[str, str]:
    """The first real value for each path parameter: the page a link would open."""

    def real(converter):
        if isinstance(converter, IntConverter):
            return str(Recommendation.objects.order_by("pk").values_list("pk", flat=True).first())
        if isinstance(converter, SlugConverter):
            model = Owner if route.name.endswith("owner") else Report
            return model.objects.order_by("pk").values_list("slug", flat=True).first()
        return "csv"

    return {p[0]: real(p[1]) for p in route.parts if not isinstance(p, str)}


def _pairs(keys: tuple[str, ...]) -> st.SearchStrategy[list[tuple[str, str]]]:
    """One to three fields, each a known key with a value of its kind or of any kind, or a
    random key; now and then a key repeated with more values."""
    fields = _fields()
    known = st.sampled_from(keys).flatmap(lambda key: st.tuples(st.just(key), fields[key]))
    pair = st.one_of(known, known, known, st.tuples(TEXT, ANYTHING))
    return st.lists(pair, min_size=1, max_size=3).flatmap(
        lambda pairs: (
            st.just(pairs)
            | st.lists(fields.get(pairs[0][0], ANYTHING), min_size=1, max_size=3).map(
                lambda more: pairs + [(pairs[0][0], value) for value in more]
            )
        )
    )


def _accepts(converter, value: str) -> bool:
    return re.fullmatch(converter.regex, value) is not None


def _path_value(converter, seed: dict) -> st.SearchStrategy[str]:
    """A real id or slug, or anything the converter accepts (so the view is reached)."""
    real = seed["pk"] if isinstance(converter, IntConverter) else seed["slug"]
    real = real if isinstance(converter, (IntConverter, SlugConverter)) else ["csv", "xlsx"]
    random = st.from_regex(f"\\A(?:{converter.regex})\\Z")
    extremes = [v for v in ("0", "1", "9" * 25, "-1") if _accepts(converter, v)]
    return st.one_of(st.sampled_from(real), st.sampled_from(real), random, st.sampled_from(extremes or real))


@pytest.fixture
def users(auditor, officer_a, officer_b, admin_user):
    return {
        "anonymous": None,
        "auditor": auditor,
        "officer_a": officer_a,
        "officer_b": officer_b,
        "admin_user": admin_user,
    }


@pytest.fixture
def clients() -> dict[str, Client]:
    """A signed-in client per persona, shared by a test's examples (see _client)."""
    return {}


def _client(clients: dict, users: dict, persona: str) -> Client:
    """The persona's client, signed in again if a request signed it out (a POST to sign
    out) or in (a POST to sign in): one sign-in per test, not one per example."""
    user = users[persona]
    if user is None:
        return Client(raise_request_exception=False)
    client = clients.setdefault(persona, Client(raise_request_exception=False))
    if client.session.get(SESSION_KEY) != str(user.pk):
        client.force_login(user)
    return client


def _request(client: Client, method: str, path: str, pairs: list[tuple[str, str]]):
    if method == "GET":
        query = urllib.parse.urlencode(pairs)
        response = client.get(f"{path}?{query}" if query else path)
    else:
        data: dict[str, list[str]] = {}
        for key, value in pairs:
            data.setdefault(key, []).append(value)
        response = client.post(path, data)
    if hasattr(response, "streaming_content"):  # an export fails while streaming, not before
        b"".join(response.streaming_content)
    return response


ROUTES = routes()


@pytest.mark.parametrize("route", ROUTES, ids=[r.name for r in ROUTES])
@given(data=st.data())
def test_no_input_makes_a_server_error(users, clients, route, data):
    seed = _seed_values()
    persona = data.draw(st.sampled_from(PERSONAS), label="persona")
    values = {p[0]: data.draw(_path_value(p[1], seed), label=p[0]) for p in route.parts if not isinstance(p, str)}
    path = route.build(values)
    method = data.draw(st.sampled_from(["GET", "POST"]), label="method")
    pairs = data.draw(_pairs(_route_keys(route)), label="query" if method == "GET" else "body")
    response = _request(_client(clients, users, persona), method, path, pairs)
    assert response.status_code < 500, (persona, method, path, pairs, response.status_code)


def test_the_walk_reaches_every_page_and_the_admins_custom_views():
    names = {r.name for r in routes()}
    assert {"home", "healthz", "reports:detail", "recommendations:add_update", "admin:index", "admin:login"} <= names
    assert any(n.endswith("_import_template") for n in names)
    assert not any(n.endswith("_changelist") for n in names)  # the admin's own
