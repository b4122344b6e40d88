"""Two checkouts' pages side by side, measured in one interleaved run (#18).

    DATABASE_URL=postgres://... CACHE_URL=redis://127.0.0.1:6379/14 \
        .venv/bin/python bench/compare.py --before ../wt-before --repeat 15 --json compare.json

Runs bench/pages.py (this checkout's) once per item and checkout, ``--code`` pointing at
each checkout in turn, item after item, the order of the two swapped from one item to
the next, so that a busy spell of a shared machine weighs on both alike. Both measure the
same database (and the same cache server, cleared before each cold request). Prints a
Markdown table: each item's cold and warm p50 before and after, the admin changelist's
p50 for the same view (from the "after" run), and the targets.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGES = ROOT / "bench" / "pages.py"

# Targets (GUIDE.md §4, issue #18): what each item is held to, as (label, check of an "after" row).
TABLE = ("cold ≤ 0.5× admin; warm ≤ 10 ms", lambda r: _ratio(r) is not None and _ratio(r) <= 0.5 and _warm_ok(r))
DASHBOARD = ("cold < 60 ms; warm ≤ 10 ms", lambda r: r["p50_ms"] < 60 and _warm_ok(r))
WARM = ("warm ≤ 10 ms", lambda r: _warm_ok(r))


def _ratio(row):
    return row["p50_ms"] / row["admin_p50_ms"] if row.get("admin_p50_ms") else None


def _warm_ok(row):
    return row.get("warm_p50_ms") is not None and row["warm_p50_ms"] <= 10


def target(name: str):
    if name == "Table, broad text search":
        return ("cold ≤ 100 ms; ≤ 0.5× admin", lambda r: r["p50_ms"] <= 100 and TABLE[1](r))
    if name.startswith("Table"):
        return TABLE
    if name.startswith("Report dashboard"):
        return DASHBOARD
    if name == "Portfolio (home)":
        return WARM
    if name.startswith("XLSX"):
        return ("≥ 30,000 rows/s", lambda r: r["rows_per_s"] >= 30_000)
    if name.startswith("CSV"):
        return ("≥ 75,000 rows/s", lambda r: r["rows_per_s"] >= 75_000)
    return None


def item_names(code: Path) -> list[str]:
    out = subprocess.run(  # noqa: S603 - this repository's own script
        [sys.executable, str(PAGES), "--code", str(code), "--list"], check=True, capture_output=True, text=True
    )
    return [line for line in out.stdout.splitlines() if line]


def run(code: Path, name: str, args) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        command = [sys.executable, str(PAGES), "--code", str(code), "--item", name, "--json", out.name]
        command += ["--repeat", str(args.repeat), "--warmup", str(args.warmup)]
        command += ["--export-repeat", str(args.export_repeat)]
        subprocess.run(command, check=True, cwd=code, env=os.environ)  # noqa: S603
        return json.loads(Path(out.name).read_text())[0]


def _ms(value) -> str:
    return "–" if value is None else f"{value:.1f}"


def markdown(results: dict) -> str:
    lines = [
        "| Item | Before cold p50 ms | After cold p50 ms | Admin p50 ms | After/admin | Before warm p50 ms"
        " | After warm p50 ms | Target | Met |",
        "|---|--:|--:|--:|--:|--:|--:|---|---|",
    ]
    for name, pair in results.items():
        before, after = pair["before"], pair["after"]
        goal = target(name)
        if after.get("rows_per_s"):
            cpu_after = after["rows"] / (after["cpu_p50_ms"] / 1000)
            cpu_before = before["rows"] / (before["cpu_p50_ms"] / 1000)
            cold = (
                f"{before['rows_per_s']:,.0f} rows/s ({cpu_before:,.0f} per CPU-s)",
                f"{after['rows_per_s']:,.0f} rows/s ({cpu_after:,.0f} per CPU-s)",
            )
        else:
            cold = (_ms(before["p50_ms"]), _ms(after["p50_ms"]))
        ratio = _ratio(after)
        lines.append(
            f"| {name} | {cold[0]} | {cold[1]} | {_ms(after.get('admin_p50_ms'))}"
            f" | {'–' if ratio is None else f'{ratio:.2f}'} | {_ms(before.get('warm_p50_ms'))}"
            f" | {_ms(after.get('warm_p50_ms'))} | {goal[0] if goal else '–'}"
            f" | {'–' if goal is None else ('yes' if goal[1](after) else '**no**')} |"
        )
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", type=Path, required=True, help="The checkout measured as 'before'.")
    parser.add_argument("--after", type=Path, default=ROOT, help="The checkout measured as 'after' (this one).")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--export-repeat", type=int, default=2)
    parser.add_argument("--only", action="append", default=[], help="Only items whose name contains this.")
    parser.add_argument("--json", type=Path, help="Also write the results to this file.")
    args = parser.parse_args(argv)
    checkouts = {"before": args.before.resolve(), "after": args.after.resolve()}
    names = item_names(checkouts["after"])
    names = [n for n in names if not args.only or any(o.lower() in n.lower() for o in args.only)]
    results = {}
    for i, name in enumerate(names):
        order = ["before", "after"] if i % 2 == 0 else ["after", "before"]
        results[name] = {}
        for side in order:
            print(f"{name}: {side}", flush=True)
            results[name][side] = run(checkouts[side], name, args)
        if args.json:
            args.json.write_text(json.dumps(results, indent=2))
    print(markdown(results))
    return results


if __name__ == "__main__":
    main()
