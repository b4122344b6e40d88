"""Rich text: the small subset of HTML that recommendation text and progress summaries may use.

Paragraphs, line breaks, lists, emphasis and links (http, https and mailto only).
Everything else is removed by nh3 (a binding to the Rust ``ammonia`` sanitiser)
on the way in, by ``RichTextField`` whenever the value is saved, and again on the way out, by the
``rich_text`` template filter, so a value that reached the database by some
other road still cannot run in a page.

Plain text stays plain: a value without markup is stored exactly as given
("Fish & chips" is not turned into "Fish &amp; chips"), and rendered escaped,
with its line breaks kept. The seeded recommendations are all plain text.
"""

import html
import re
from html.parser import HTMLParser

import nh3
from django.db import models
from django.utils.html import escape, linebreaks
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = frozenset({"p", "br", "ul", "ol", "li", "em", "strong", "a"})
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
ALLOWED_URL_SCHEMES = frozenset({"http", "https", "mailto"})
ALLOWED_DESCRIPTION = (
    "paragraphs (<p>), line breaks (<br>), lists (<ul>, <ol>, <li>), emphasis (<em>, <strong>) "
    "and links (<a href>) to http, https or mailto addresses"
)

# A "<" followed by a letter, "/" or "!" starts a tag or comment; "a < b" does not.
_MARKUP = re.compile(r"<\s*[a-zA-Z/!]")


def has_markup(value: str) -> bool:
    return bool(_MARKUP.search(value or ""))


_BLOCK_MARKUP = re.compile(r"<\s*/?\s*(p|br|ul|ol|li)\b", re.IGNORECASE)


def has_block_markup(value: str) -> bool:
    """Laid out with markup (paragraphs, lists, line breaks) rather than in lines."""
    return bool(_BLOCK_MARKUP.search(value or ""))


def _clean(value: str) -> str:
    """nh3's output: HTML with only the allowed markup, its text still escaped."""
    return nh3.clean(
        value,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(ALLOWED_URL_SCHEMES),
        link_rel="noopener noreferrer nofollow",
    ).strip()


def sanitise(value: str) -> str:
    """The value with only the allowed markup left; plain text comes back unchanged."""
    if not has_markup(value):
        return value
    cleaned = _clean(value)
    # All the markup was disallowed: what is left is text, stored as plain text.
    return cleaned if has_markup(cleaned) else html.unescape(cleaned)


def plain(value: str) -> str:
    """The text alone, for excerpts, search and the admin's lists."""
    if not has_markup(value):
        return value or ""
    text = re.sub(r"</(p|li)>|<br\s*/?>", "\n", value)
    return html.unescape(nh3.clean(text, tags=set())).strip()


# A bullet line: "- item", "• item" or "•item" (the seeds carry both, from Word and PDF copies).
_BULLET = re.compile(r"^\s*(?:-\s+|•\s*)(?P<item>\S.*)$")


def blocks(value: str) -> list[tuple[str, list[str]]]:
    """Plain text as blocks, for the ``rich_text`` filter to mark up: ("p", [lines]) for a
    paragraph (blank lines separate paragraphs) and ("ul", [items]) for each run of
    bullet lines. An indented line after a bullet continues that item. The text is
    returned as given; escaping is the renderer's."""
    result: list[tuple[str, list[str]]] = []
    for chunk in re.split(r"\n\s*\n", (value or "").replace("\r\n", "\n").replace("\r", "\n")):
        previous = None  # the kind of the line before, within this paragraph
        for line in chunk.split("\n"):
            if not line.strip():
                continue
            bullet = _BULLET.match(line)
            if bullet:
                if previous != "ul":
                    result.append(("ul", []))
                result[-1][1].append(bullet["item"].strip())
                previous = "ul"
            elif previous == "ul" and line[:1].isspace():
                result[-1][1][-1] += " " + line.strip()
            else:
                if previous != "p":
                    result.append(("p", []))
                result[-1][1].append(line.strip())
                previous = "p"
    return result


def render(value: str, *, inline: bool = False) -> SafeString:
    """HTML for a page: sanitised markup as is, plain text escaped with its line breaks."""
    if has_markup(value):
        # nh3's own output, never sanitise()'s: text unescaped after the markup went
        # ("<x>&lt;script&gt;") would otherwise come back as markup.
        return mark_safe(_clean(value))  # noqa: S308 - nh3 has just removed everything not allowed  # nosec
    if inline:
        return mark_safe(escape(value or "").replace("\n", "<br>"))  # noqa: S308 - escaped first  # nosec
    return mark_safe(linebreaks(value or "", autoescape=True))  # noqa: S308 - linebreaks escapes  # nosec


class _MarkupAudit(HTMLParser):
    def __init__(self, allowed_tags):
        super().__init__(convert_charrefs=True)
        self.allowed_tags = allowed_tags
        self.problems: list[str] = []

    def _note(self, problem: str) -> None:
        if problem not in self.problems:
            self.problems.append(problem)

    def handle_starttag(self, tag, attrs):
        if tag not in self.allowed_tags:
            self._note(f"<{tag}>")
            return
        allowed = ALLOWED_ATTRIBUTES.get(tag, set())
        for name, value in attrs:
            if name not in allowed:
                self._note(f'the {name}="…" attribute')
            elif name == "href":
                scheme = (value or "").strip().split(":", 1)[0].lower() if ":" in (value or "") else ""
                if scheme and scheme not in ALLOWED_URL_SCHEMES:
                    self._note(f"a {scheme}: link")

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_comment(self, data):
        self._note("an HTML comment")

    def handle_decl(self, decl):
        self._note(f"<!{decl}>")

    def handle_pi(self, data):
        self._note(f"<?{data}>")


def disallowed_markup(value: str, *, rich: bool = True) -> list[str]:
    """What in ``value`` sanitising would remove ("<script>", 'the onclick="…" attribute'),
    for an import that refuses such rows rather than silently altering them.
    With ``rich=False`` (a plain-text field) every tag counts."""
    if not has_markup(value):
        return []
    audit = _MarkupAudit(ALLOWED_TAGS if rich else frozenset())
    audit.feed(value)
    audit.close()
    return audit.problems


class RichTextField(models.TextField):
    """A TextField whose value is sanitised on validation (``full_clean``) and on every save
    (TextField.get_prep_value runs ``to_python``), whichever road the value came by."""

    def to_python(self, value):
        value = super().to_python(value)
        return sanitise(value) if isinstance(value, str) else value
