"""url_for/url_maker give what reverse() gives, under whatever script prefix is in force."""

import pytest
from django.urls import NoReverseMatch, clear_script_prefix, reverse, set_script_prefix

from tracker.urlmaker import url_for, url_maker

CASES = [("recommendations:detail", 42), ("reports:detail", "audit-2016_b"), ("recommendations:owner", "cosla")]


@pytest.mark.parametrize("name, arg", CASES)
def test_same_as_reverse(name, arg):
    assert url_for(name, arg) == url_maker(name)(arg) == reverse(name, args=[arg])


@pytest.mark.parametrize("name, arg", CASES)
def test_follows_the_script_prefix(name, arg):
    set_script_prefix("/tracker/")
    try:
        assert url_for(name, arg) == reverse(name, args=[arg])
        assert url_for(name, arg).startswith("/tracker/")
    finally:
        clear_script_prefix()
    assert not url_for(name, arg).startswith("/tracker/")


def test_a_view_without_an_argument_is_refused():
    with pytest.raises(NoReverseMatch):
        url_maker("home")
