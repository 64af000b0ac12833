"""Parse the guides' fenced blocks: which run, in what order, and what output they show."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
DOCS = ROOT / "docs"
#: The guides the runner executes: every flow guide, and any other page that introduces AUTHFLOWS_URL.
SHELL = {"bash", "sh", "shell", "console"}
PYTHON = {"python", "py"}
URL_VARIABLE = "AUTHFLOWS_URL"
URL_LINE = re.compile(rf"^export {URL_VARIABLE}=(\S+)$", re.M)
NOT_RUN = re.compile(r"^<!--\s*not-run:\s*(.+?)\s*-->$")
#: ``<!-- browser: open $VAR as USER, press Allow; sets NAME -->`` before a block: what a person does in a
#: browser at that point. The runner does it with Playwright instead of the block (and sets NAME to the
#: address the browser lands on outside the server).
BROWSER = re.compile(r"^<!--\s*browser:\s*(.+?)\s*-->$")
FENCE = re.compile(r"^(\s*)```(\w*)")
#: An answer a guide shows with its status line (``curl -i``): the block must print the same status.
STATUS_LINE = re.compile(r"^HTTP/[\d.]+ (\d{3})")


@dataclass
class Block:
    guide: str
    line: int            # 1-based line of the opening fence
    lang: str
    code: str
    not_run: str | None  # the reason, when the guide marks the block <!-- not-run: reason -->
    browser: str | None = None  # the browser step that takes the block's place
    expected: str | None = None  # a ```json block, or an answer with its HTTP status line, that directly follows

    @property
    def runs(self) -> bool:
        return self.browser is not None or ((self.lang in SHELL or self.lang in PYTHON) and self.not_run is None)

    @property
    def where(self) -> str:
        return f"{self.guide}:{self.line}"


def blocks(path: Path) -> list[Block]:
    lines = path.read_text().splitlines()
    name = str(path.relative_to(DOCS)) if path.is_relative_to(DOCS) else path.name
    found: list[Block] = []
    i = 0
    last_text = ""        # the last non-blank line outside a block
    since_block = 0       # non-blank lines outside blocks since the last block closed
    while i < len(lines):
        match = FENCE.match(lines[i])
        if not match:
            if lines[i].strip():
                last_text = lines[i].strip()
                since_block += 1
            i += 1
            continue
        indent, lang = match.group(1), match.group(2).lower()
        start = i
        i += 1
        body = []
        while i < len(lines) and not lines[i].startswith(indent + "```"):
            body.append(lines[i][len(indent):] if lines[i].startswith(indent) else lines[i].lstrip())
            i += 1
        i += 1  # the closing fence
        code = "\n".join(body) + "\n"
        marker = NOT_RUN.match(last_text)
        if (lang == "json" or STATUS_LINE.match(code)) and found and since_block == 0 \
                and found[-1].expected is None and found[-1].runs:
            found[-1].expected = code
        browser = BROWSER.match(last_text)
        found.append(Block(name, start + 1, lang, code, marker.group(1) if marker else None,
                           browser=browser.group(1) if browser else None))
        last_text, since_block = "", 0
    return found


@dataclass
class BrowserStep:
    open: str                 # the variable holding the URL to open
    user: str | None          # log in as this demo user when the login page shows
    press: list[str]          # buttons to press, in order (their visible names)
    fill: dict[str, str]      # input name -> variable
    sets: str | None          # the variable that receives the address the browser lands on
    sees: str | None = None   # text the last page must show


def browser_step(text: str) -> BrowserStep:
    """``open $AUTHORIZE_URL as demo, press Allow; sets CALLBACK_URL``"""
    actions, _, sets = text.partition(";")
    step = BrowserStep(open="", user=None, press=[], fill={}, sets=None)
    for part in (p.strip() for p in actions.split(",")):
        words = part.split()
        if words[0] == "open":
            step.open = words[1].lstrip("$")
            if len(words) == 4 and words[2] == "as":
                step.user = words[3]
        elif words[0] == "press":
            step.press.append(" ".join(words[1:]))
        elif words[0] == "fill" and len(words) == 4 and words[2] == "with":
            step.fill[words[1]] = words[3].lstrip("$")
        else:
            raise ValueError(f"unknown browser action {part!r}")
    words = sets.split()
    if words and words[0] == "sets" and len(words) == 2:
        step.sets = words[1]
    elif words and words[0] == "sees":
        step.sees = " ".join(words[1:])
    elif words:
        raise ValueError(f"unknown browser outcome {sets!r}")
    assert step.open, text
    return step


def guides() -> list[Path]:
    flows = sorted((DOCS / "flows").glob("*.md"))
    others = sorted(p for p in DOCS.glob("*.md") if p.name != "index.md" and URL_LINE.search(p.read_text()))
    return flows + others


def expected_keys(expected: str) -> tuple[set[str], dict[str, str]]:
    """The top-level keys a ```json sample shows, and its "error" value if any (loose matching: the values
    of ids, secrets and times differ from run to run)."""
    try:
        sample = json.loads(expected)
    except ValueError:
        return set(), {}
    if not isinstance(sample, dict):
        return set(), {}
    return set(sample), ({"error": sample["error"]} if "error" in sample else {})


def last_json_object(output: str) -> dict | None:
    """The last JSON object printed (commands print one per line, or one pretty-printed at the end)."""
    decoder = json.JSONDecoder()
    found = None
    for start in [m.start() for m in re.finditer(r"^\{", output, re.M)]:
        try:
            value, _ = decoder.raw_decode(output[start:])
        except ValueError:
            continue
        if isinstance(value, dict):
            found = value
    return found
