"""Many URLs of one pattern at the cost of one ``reverse()``.

A table page links every row to its recommendation, its report and its owners:
about a hundred ``reverse()`` calls, each resolving the pattern again (3 ms a
page). ``url_maker(name)`` reverses once, with a marker for the argument, and
returns a function that puts each argument in the marker's place. The function is
kept for the URLconf and script prefix in force, so ``url_for(name, x)`` costs a
dictionary lookup and a format: models' ``get_absolute_url`` use it.
"""

import functools
from collections.abc import Callable

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import get_script_prefix, get_urlconf, reverse

# Digits, so that both the int and the slug converters accept it.
MARKER = "9081726354"


def url_maker(viewname: str) -> Callable[[object], str]:
    """``url_maker(name)(x) == reverse(name, args=[x])`` for an id or a slug: arguments
    that need no quoting in a path (a slug is letters, digits, hyphens and underscores)."""
    return _maker(viewname, get_script_prefix(), get_urlconf())


def url_for(viewname: str, arg) -> str:
    """``reverse(viewname, args=[arg])`` for an id or a slug, without resolving again."""
    return _maker(viewname, get_script_prefix(), get_urlconf())(arg)


@functools.lru_cache(maxsize=256)
def _maker(viewname: str, prefix: str, urlconf) -> Callable[[object], str]:
    before, marker, after = reverse(viewname, args=[MARKER], urlconf=urlconf).rpartition(MARKER)
    if not marker:
        raise ValueError(f"{viewname} takes no argument in its path")

    def make(value) -> str:
        return f"{before}{value}{after}"

    return make


@receiver(setting_changed)
def _forget(*, setting, **kwargs):
    """A test that swaps the URLconf gets its own URLs (as Django's own caches do)."""
    if setting == "ROOT_URLCONF":
        _maker.cache_clear()
