from django.conf import settings
from django.utils.cache import has_vary_header, patch_cache_control


class PrivateResponsesMiddleware:
    """``Cache-Control: private, no-store`` on every response to a signed-in user and on
    every response that varies by visitor, so that neither a shared cache nor the browser's
    store keeps a user's pages or exports after they sign out.

    Signed in means a session cookie came with the request; varying by visitor means the
    session or the CSRF cookie was read, which SessionMiddleware and CsrfViewMiddleware
    record as ``Vary: Cookie``. Neither test reads the database, so an outage's 500 page
    gets the header too. Placed below WhiteNoise (static files stay public and cached for
    a year) and above SessionMiddleware (to see the ``Vary`` it adds)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if settings.SESSION_COOKIE_NAME in request.COOKIES or has_vary_header(response, "Cookie"):
            patch_cache_control(response, private=True, no_store=True)
        return response
