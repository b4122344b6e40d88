from tracker.views import healthz


class HealthCheckMiddleware:
    """Answers /healthz itself, before the session and auth middleware: with a session
    cookie they read the database first, so an outage became a 500 page instead of the
    view's 503 JSON. Placed straight after SecurityMiddleware, which reads no database
    (and exempts /healthz from the https redirect). Only reads: any other method goes
    through the whole stack, so a token-less POST is refused by the CSRF check like
    everywhere else."""

    path = "/healthz"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info == self.path and request.method in ("GET", "HEAD"):
            return healthz(request)
        return self.get_response(request)
