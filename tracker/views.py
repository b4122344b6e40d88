import hmac

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from prometheus_client import CONTENT_TYPE_LATEST


@login_not_required
@never_cache
@require_safe
def healthz(request):
    """Liveness and database check for load balancers; reveals nothing else."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # noqa: BLE001 - any database failure means unhealthy
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


class SignOutView(auth_views.LogoutView):
    """Django's sign-out (a POST), then the sign-in page saying it happened: without it a
    person on a shared computer cannot tell that they are signed out."""

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        messages.success(request, "You have signed out.")
        return response


@login_not_required
@require_safe
def privacy(request):
    """The privacy notice: open to everyone, signed in or not (linked from every page's footer)."""
    context = {
        "sign_in_days": settings.TRACKER_RETENTION_SIGN_IN_DAYS,
        "session_hours": settings.SESSION_COOKIE_AGE // 3600,
        "contact": settings.TRACKER_PRIVACY_CONTACT,
    }
    return render(request, "privacy.html", context)


@login_not_required
@never_cache
@require_safe
def metrics(request):
    """Prometheus metrics, only for a scraper presenting the configured token
    (``Authorization: Bearer <TRACKER_METRICS_TOKEN>``); signing in is not enough. Without a
    configured token the path does not exist."""
    from tracker.metrics import metrics_page  # reads models: imported once the apps are ready

    token = settings.TRACKER_METRICS_TOKEN
    if not token:
        raise Http404
    supplied = request.headers.get("Authorization", "")
    if not hmac.compare_digest(supplied.encode(), f"Bearer {token}".encode()):
        raise PermissionDenied
    return HttpResponse(metrics_page(), content_type=CONTENT_TYPE_LATEST)
