"""The real URLconf plus views that raise, so tests can see the 400/403/500 pages."""

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.urls import path

from tracker.urls import urlpatterns as real_urlpatterns


def bad_request(request):
    raise SuspiciousOperation("test: bad request")


def forbidden(request):
    raise PermissionDenied("test: forbidden")


def server_error(request):
    raise RuntimeError("test: server error with a secret stack trace")


urlpatterns = [
    *real_urlpatterns,
    path("__test__/400/", bad_request),
    path("__test__/403/", forbidden),
    path("__test__/500/", server_error),
]
