"""The site header's navigation, offered to every template by a context processor.

Items whose URL name does not resolve yet are left out, so a later issue makes
an item appear just by adding its URL. The item for the section the current
page belongs to is marked current (templates add ``aria-current="page"``).
Reads the user's roles (tracker.access.roles, cached on the user: at most one
query per request, shared with the views' access checks).
"""

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse

from tracker.access import roles
from tracker.roles import OFFICER


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    # View names (namespace:name, or a namespace followed by ":*") that belong to this section.
    section: tuple[str, ...]
    staff_only: bool = False
    officer_only: bool = False


NAV_ITEMS = (
    NavItem("Portfolio", "home", ("home",)),
    NavItem("Publications", "reports:list", ("reports:*",)),
    NavItem("Recommendations", "recommendations:list", ("recommendations:list", "recommendations:detail")),
    NavItem("Organisations", "recommendations:owners", ("recommendations:owners", "recommendations:owner")),
    NavItem("My recommendations", "recommendations:mine", ("recommendations:mine",), officer_only=True),
    NavItem("Admin", "admin:index", ("admin:*",), staff_only=True),
)


def _in_section(view_name: str, section: tuple[str, ...]) -> bool:
    for pattern in section:
        if pattern.endswith(":*") and view_name.startswith(pattern[:-1]):
            return True
        if view_name == pattern:
            return True
    return False


def navigation_items(request) -> list[dict]:
    """[{"label", "url", "current"}] for the signed-in user; [] for an anonymous visitor."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    user_roles = roles(user)
    if not user_roles:
        return []  # nothing to navigate to until the account has a role
    match = getattr(request, "resolver_match", None)
    view_name = match.view_name if match else ""
    items = []
    for item in NAV_ITEMS:
        if item.staff_only and not user.is_staff:
            continue
        if item.officer_only and OFFICER not in user_roles:
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        items.append({"label": item.label, "url": url, "current": _in_section(view_name, item.section)})
    return items


def navigation(request) -> dict:
    """Context processor: ``nav_items`` for the header, ``current_view_name`` of the current page."""
    match = getattr(request, "resolver_match", None)
    return {"nav_items": navigation_items(request), "current_view_name": match.view_name if match else ""}
