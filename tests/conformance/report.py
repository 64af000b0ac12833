"""docs/conformance.md, written from the modules' outcomes when every module of the six plans has run."""
from __future__ import annotations

import datetime
import re
import subprocess
from pathlib import Path

from .plans import EXPECTED, PLAN_NAMES

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "conformance.md"


def _commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              timeout=10).stdout.strip() or "unknown"
    except OSError:
        return "unknown"


def render(outcomes: dict[tuple[str, str], tuple[str, str]], date: str, commit: str) -> str:
    lines = [
        "# OpenID Connect conformance",
        "",
        "Written by `tests/conformance/` (do not edit by hand): each OIDF conformance-suite module reproduced "
        "against a live server over https, with the suite's own pass conditions (FAILURE fails the module, "
        "WARNING is recorded) and its own reasons for N/A (not applicable to a static client, or skipped for "
        "this configuration).",
        "",
        f"Run: {date}, commit `{commit}`.",
        "",
    ]
    counts: dict[str, int] = {}
    for variant, modules in EXPECTED.items():
        lines += [f"## {PLAN_NAMES[variant]}", "", "| module | result | detail |", "|---|---|---|"]
        for name in modules:
            result, detail = outcomes[(variant, name)]
            counts[result] = counts.get(result, 0) + 1
            # the servers' free ports change from run to run: the table stays the same for the same outcomes
            detail = re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", detail).replace("|", "\\|").replace("\n", " ")
            lines.append(f"| {name} | {result} | {detail} |")
        lines.append("")
    summary = ", ".join(f"{k}: {counts[k]}" for k in ("PASS", "WARNING", "N/A", "FAIL") if k in counts)
    lines[6:6] = [f"Summary: {summary}.", ""]
    return "\n".join(lines)


def write_if_complete(outcomes: dict[tuple[str, str], tuple[str, str]]) -> bool:
    """Only a run of the whole package rewrites the table (a -k selection or one file leaves it alone)."""
    if any((v, m) not in outcomes for v, modules in EXPECTED.items() for m in modules):
        return False
    DOC.parent.mkdir(exist_ok=True)
    DOC.write_text(render(outcomes, datetime.date.today().isoformat(), _commit()) + "\n")
    return True
