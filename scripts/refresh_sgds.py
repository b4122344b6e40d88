#!/usr/bin/env python3
"""Refresh static/vendor/sgds from the npm registry, with nothing but Python.

    python3 scripts/refresh_sgds.py            # the latest release
    python3 scripts/refresh_sgds.py 4.2.0      # a given version
    python3 scripts/refresh_sgds.py --check    # say whether a newer release exists; change nothing

Downloads the release tarball of @scottish-government/design-system (MIT) that
the registry names, verifies it against the registry's ``dist.integrity``
(SHA-512) and ``dist.shasum`` (SHA-1), and copies only what the site serves
from its ``dist/``: the minified CSS, the JavaScript bundle and the icon
sprite, plus any file the CSS refers to with a relative url(). Source maps
are left out (and their comments removed, so that a hashing static files
storage finds no dangling reference). The licence is copied to LICENSE and
static/vendor/sgds/VERSION records version, licence, date and source.
Node.js is not needed, to run this or the site.
"""

import argparse
import base64
import datetime
import hashlib
import io
import json
import posixpath
import re
import shutil
import sys
import tarfile
import tempfile
import urllib.parse
import urllib.request
from pathlib import Path

PACKAGE = "@scottish-government/design-system"
REGISTRY = "https://registry.npmjs.org"
DEST = Path(__file__).resolve().parent.parent / "static" / "vendor" / "sgds"
# Paths inside the package's dist/ directory that the site uses.
WANTED = ["css/design-system.min.css", "scripts/design-system.js", "images/icons/icons.stack.svg"]
LICENCE_NAMES = ["package/LICENSE.txt", "package/LICENSE", "package/LICENSE.md"]
SOURCE_MAP_COMMENT = re.compile(rb"\s*/[*/]# sourceMappingURL=[^\n]*?(?:\*/)?\s*$")
CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]+)\1\s*\)""")
TIMEOUT = 60


def fetch(url: str) -> bytes:
    if not url.startswith("https://"):
        raise SystemExit(f"Refusing a non-HTTPS URL: {url}")
    # S310: only https:// URLs get this far (checked above).
    request = urllib.request.Request(url, headers={"Accept": "application/json, application/octet-stream"})  # noqa: S310
    with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310  # nosec B310
        return response.read()


def release_metadata(version: str) -> dict:
    """The registry's document for one version (or the "latest" tag)."""
    url = f"{REGISTRY}/{PACKAGE}/{urllib.parse.quote(version, safe='')}"
    return json.loads(fetch(url))


def verify(tarball: bytes, dist: dict) -> str:
    """Check the tarball against the registry's integrity (SHA-512) and shasum (SHA-1)."""
    integrity = dist.get("integrity", "")
    algorithm, _, expected = integrity.partition("-")
    if algorithm != "sha512" or not expected:
        raise SystemExit(f"Unexpected integrity value from the registry: {integrity!r}")
    actual = base64.b64encode(hashlib.sha512(tarball).digest()).decode()
    if actual != expected:
        raise SystemExit("The tarball does not match the registry's SHA-512 integrity: not installing it.")
    shasum = dist.get("shasum")
    # Not for security (the SHA-512 above is): a check against npm's published SHA-1.
    if shasum and hashlib.sha1(tarball, usedforsecurity=False).hexdigest() != shasum:
        raise SystemExit("The tarball does not match the registry's SHA-1 shasum: not installing it.")
    return integrity


def read_member(archive: tarfile.TarFile, name: str) -> bytes | None:
    try:
        member = archive.getmember(name)
    except KeyError:
        return None
    if not member.isfile():
        raise SystemExit(f"{name} in the tarball is not a regular file.")
    handle = archive.extractfile(member)
    return handle.read() if handle else None


def css_references(css: bytes, css_path: str) -> list[str]:
    """dist-relative paths of the local files a stylesheet's url() values point to."""
    found = []
    for _, url in CSS_URL.findall(css.decode("utf-8-sig")):
        url = url.strip()
        if url.startswith(("data:", "#", "http:", "https:", "//", "/")):
            continue
        path = posixpath.normpath(posixpath.join(posixpath.dirname(css_path), url.split("?")[0].split("#")[0]))
        if path.startswith(".."):
            raise SystemExit(f"The stylesheet refers outside dist/: {url}")
        found.append(path)
    return found


def collect(tarball: bytes) -> tuple[dict[str, bytes], bytes]:
    """{dist-relative path: content} for the wanted files and what the CSS needs, and the licence."""
    files: dict[str, bytes] = {}
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
        queue = list(WANTED)
        while queue:
            path = queue.pop(0)
            if path in files:
                continue
            content = read_member(archive, f"package/dist/{path}")
            if content is None:
                raise SystemExit(f"dist/{path} is missing from this release; update WANTED in {__file__}.")
            content = SOURCE_MAP_COMMENT.sub(b"\n", content) if path.endswith((".css", ".js")) else content
            files[path] = content
            if path.endswith(".css"):
                queue.extend(css_references(content, path))
        licence = next((text for name in LICENCE_NAMES if (text := read_member(archive, name))), None)
    if licence is None:
        raise SystemExit("No licence file in the package: not vendoring it.")
    return files, licence


def install(files: dict[str, bytes], licence: bytes, meta: dict, integrity: str, dest: Path) -> None:
    """Write everything to a fresh directory beside dest, then swap it in."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".sgds-", dir=dest.parent))
    try:
        for path, content in files.items():
            target = staging / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        (staging / "LICENSE").write_bytes(licence)
        (staging / "VERSION").write_text(
            f"{PACKAGE} {meta['version']}\n"
            f"Licence: {meta.get('license', 'see LICENSE')} (LICENSE)\n"
            f"Date: {datetime.date.today().isoformat()}\n"
            f"Source: {meta['dist']['tarball']}\n"
            f"Integrity: {integrity}\n"
            f"Files (from dist/): {', '.join(sorted(files))}\n"
            "Refresh: python3 scripts/refresh_sgds.py [version]\n",
            encoding="utf-8",
        )
        old = dest.with_name(dest.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if dest.exists():
            dest.rename(old)
        staging.rename(dest)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def current_version(dest: Path) -> str | None:
    version_file = dest / "VERSION"
    if not version_file.exists():
        return None
    first = version_file.read_text(encoding="utf-8").splitlines()[0]
    return first.rsplit(" ", 1)[-1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("version", nargs="?", default="latest", help="a version such as 4.2.0 (default: latest)")
    parser.add_argument("--check", action="store_true", help="only compare the vendored and the requested version")
    parser.add_argument("--dest", type=Path, default=DEST, help=f"target directory (default: {DEST})")
    args = parser.parse_args(argv)

    meta = release_metadata(args.version)
    have = current_version(args.dest)
    if args.check:
        print(f"vendored: {have or 'none'}; registry {args.version}: {meta['version']}")
        return 0 if have == meta["version"] else 1

    tarball = fetch(meta["dist"]["tarball"])
    integrity = verify(tarball, meta["dist"])
    files, licence = collect(tarball)
    install(files, licence, meta, integrity, args.dest)
    size = sum(len(content) for content in files.values())
    print(f"Vendored {PACKAGE} {meta['version']} ({len(files)} files, {size // 1024} KiB) into {args.dest}")
    if have and have != meta["version"]:
        print(f"Was {have}: check the site's templates against the design system's changelog.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
