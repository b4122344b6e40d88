"""Template context every page may use: the viewer's ``Scope`` (recommendations.access),
lazily, so that a page saying whose recommendations it counts (``viewer_scope.words``)
costs nothing more than the view's own access check (the scope is kept on the user)."""

from django.utils.functional import SimpleLazyObject

from recommendations.access import scope_for


def viewer(request) -> dict:
    user = getattr(request, "user", None)
    if user is None:
        return {}
    return {"viewer_scope": SimpleLazyObject(lambda: scope_for(user))}
