"""The main pages that every browser accessibility check visits.

Later issues extend this one list. Each entry: (name, path or a callable that
returns one, persona fixture name or None for anonymous, expected HTTP status).
"""

from recommendations.models import Recommendation


def _recommendation(report_slug: str, number: int):
    return lambda: Recommendation.objects.get(report__slug=report_slug, number=number).get_absolute_url()


MAIN_PAGES = [
    ("sign-in", "/accounts/login/", None, 200),
    ("portfolio", "/", "auditor", 200),
    ("portfolio-as-at", "/?as_at=2016-07-01", "auditor", 200),
    ("portfolio-date-refused", "/?as_at=2999-01-01", "auditor", 400),
    ("reports", "/reports/", "auditor", 200),
    ("publication-without-recommendations", "/reports/community-planning-update-impact-2018/", "auditor", 200),
    ("recommendation", _recommendation("community-planning-update-2016", 1), "auditor", 200),
    ("password-change", "/accounts/password_change/", "auditor", 200),
    ("recommendations", "/recommendations/", "auditor", 200),
    (
        "recommendations-filtered",
        "/recommendations/?owner=cosla&status=amber&status=green&year_from=2013&sort=status",
        "auditor",
        200,
    ),
    ("recommendations-none-match", "/recommendations/?owner=cosla&status=never-assessed", "auditor", 200),
    ("dashboard", "/reports/community-planning-update-2016/", "auditor", 200),
    ("dashboard-as-at", "/reports/community-planning-update-2016/?as_at=2016-07-01", "auditor", 200),
    ("appendix", "/reports/community-planning-update-2016/appendix/", "auditor", 200),
    ("organisations", "/owners/", "auditor", 200),
    ("my-recommendations", "/my/", "officer_a", 200),
    ("recommendation-as-officer", _recommendation("community-planning-update-2016", 11), "officer_a", 200),
    ("organisation", "/owners/inverclyde-alliance/", "auditor", 200),
    ("not-found", "/no-such-page/", "auditor", 404),
    ("bad-request", "/__test__/400/", "auditor", 400),
    ("forbidden", "/__test__/403/", "auditor", 403),
    ("server-error", "/__test__/500/", "auditor", 500),
]
