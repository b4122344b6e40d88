"""Who has which role, read from the user's groups: the floor every app builds on (it
imports no app). What each role may see of the data is the app's own business
(recommendations.access.Scope).

- Auditors and admins see every recommendation; auditors record progress.
- A signed-in user with no role sees a page saying so, and nothing else.
"""

from django.shortcuts import render

from tracker.roles import ADMIN, AUDITOR, OFFICER


def roles(user) -> frozenset[str]:
    """The user's role names, cached on the user object (one query per request)."""
    if not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_tracker_roles", None)
    if cached is None:
        cached = frozenset(user.groups.filter(name__in=(ADMIN, AUDITOR, OFFICER)).values_list("name", flat=True))
        if user.is_superuser:
            cached |= {ADMIN}
        user._tracker_roles = cached
    return cached


def can_record_updates(user) -> bool:
    return AUDITOR in roles(user)


# Pages a signed-in user without a role may still use: their own account.
_ROLELESS_ALLOWED = {"logout", "password_change", "password_change_done", "login", "healthz", "privacy", "metrics"}


class RoleRequiredMiddleware:
    """A signed-in user with no role sees a page saying so, whatever they ask for."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = request.user
        if not user.is_authenticated or roles(user):
            return None
        match = request.resolver_match  # already resolved by Django before process_view
        if match.url_name in _ROLELESS_ALLOWED or match.namespace == "admin":
            return None  # the admin site checks is_staff itself
        return render(request, "no_role.html", status=403)


def can_close(user) -> bool:
    """Closing and reopening recommendations, and linking them: auditors and admins."""
    return bool(roles(user) & {AUDITOR, ADMIN})
