from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_safe

from recommendations.models import Recommendation
from recommendations.selectors import recommendation_detail


def _get_recommendation_for_user(request, pk: int) -> Recommendation:
    """The recommendation if this user may see it, else 404."""
    try:
        return recommendation_detail(pk)
    except Recommendation.DoesNotExist:
        raise Http404("No such recommendation.") from None


@require_safe
def detail(request, pk):
    """A recommendation with its progress history, newest first. 5 queries."""
    recommendation = _get_recommendation_for_user(request, pk)
    return render(request, "recommendations/detail.html", {"recommendation": recommendation})
