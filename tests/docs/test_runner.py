"""The guide runner's parser: what runs, what is skipped and why, and which sample answers are checked."""
from __future__ import annotations

from .guides import DOCS, blocks, browser_step, guides

SAMPLE = '''# A guide

```sh
export AUTHFLOWS_URL=http://127.0.0.1:8000
```

```json
{"a": 1}
```

Some text.

```json
{"not": "checked: text in between"}
```

<!-- not-run: needs a person -->
```python
input()
```

<!-- browser: open $AUTHORIZE_URL as demo, press Allow; sets CALLBACK_URL -->
```text
http://localhost:3000/callback?code=...
```

1. A list item:

   ```python
   print("indented")
   ```

```sh
curl -i $AUTHFLOWS_URL/oauth/token
```

```
HTTP/1.1 405 Method Not Allowed

{"error": "invalid_request"}
```
'''


def test_blocks(tmp_path) -> None:
    path = tmp_path / "sample.md"
    path.write_text(SAMPLE)
    found = blocks(path)
    langs = [(b.lang, b.runs) for b in found]
    assert langs == [("sh", True), ("json", False), ("json", False), ("python", False), ("text", True),
                     ("python", True), ("sh", True), ("", False)]
    assert found[0].expected == '{"a": 1}\n'
    assert found[3].not_run == "needs a person"
    assert found[4].browser.startswith("open $AUTHORIZE_URL")
    assert found[5].code == 'print("indented")\n'
    assert found[6].expected.startswith("HTTP/1.1 405")


def test_browser_step() -> None:
    step = browser_step("open $VERIFICATION_URI_COMPLETE as demo, press Continue, press Allow; sees Your device is connected")
    assert (step.open, step.user, step.press, step.sets, step.sees) == (
        "VERIFICATION_URI_COMPLETE", "demo", ["Continue", "Allow"], None, "Your device is connected")
    assert browser_step("open $A as demo, press Allow; sets CALLBACK_URL").sets == "CALLBACK_URL"


def test_every_flow_guide_is_run() -> None:
    names = {str(p.relative_to(DOCS)) for p in guides()}
    assert {f"flows/{p.name}" for p in (DOCS / "flows").glob("*.md")} <= names
    assert "sessions-and-tokens.md" in names
