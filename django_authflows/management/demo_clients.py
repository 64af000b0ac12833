"""Example clients for ``manage.py authflows demo device|m2m``: a device and a machine, over HTTP."""
from __future__ import annotations

import base64
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any

import segno

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


def _post(url: str, data: dict[str, str], headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    body = urllib.parse.urlencode({k: v for k, v in data.items() if v}).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json", **(headers or {})}
    request = urllib.request.Request(url, data=body, headers=headers)  # noqa: S310 (a URL the operator gave)
    try:
        with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310 (a URL the operator gave)
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        try:
            return exc.code, json.loads(exc.read() or b"{}")
        except ValueError:
            return exc.code, {"error": f"HTTP {exc.code}", "error_description": f"{url} did not answer with JSON."}
    except (urllib.error.URLError, OSError) as exc:
        raise unreachable(url, exc) from None


def unreachable(url: str, exc: BaseException) -> RuntimeError:
    """A connection error that names the URL tried and how to point the command elsewhere."""
    reason = getattr(exc, "reason", exc)
    return RuntimeError(f"Could not reach {url} ({reason}). Is the server running there? "
                        "Give its address with --base-url (the demo's home page prints the full command).")


def call_api(url: str, access_token: str) -> tuple[int, Any]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {access_token}"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, (exc.read() or b"").decode(errors="replace")
    except (urllib.error.URLError, OSError) as exc:
        raise unreachable(url, exc) from None


def decode(token: str) -> dict[str, Any]:
    """The payload of a JWT, for display only (the API verifies it)."""
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def run_device(base: str, client_id: str, *, scope: str, audience: str | None, out: Callable[[str], None],
               timeout: float = 900, sleep: Callable[[float], None] = time.sleep) -> dict[str, Any]:
    """Act as a device (RFC 8628): show the code and a QR code, poll honouring interval and slow_down."""
    status, started = _post(base + "oauth/device/code", {"client_id": client_id, "scope": scope,
                                                          "audience": audience or ""})
    if status != 200:
        raise RuntimeError(f"/oauth/device/code answered {status}: {started}")
    out(f"\nOn your phone or computer, open:\n\n    {started['verification_uri']}\n\nand enter the code:\n\n"
        f"    {started['user_code']}\n\nor scan this QR code ({started['verification_uri_complete']}):\n")
    qr = segno.make(started["verification_uri_complete"], error="l")
    out("\n".join(_qr_lines(qr)))
    interval, deadline = int(started["interval"]), time.monotonic() + min(timeout, started["expires_in"])
    while time.monotonic() < deadline:
        sleep(interval)
        status, body = _post(base + "oauth/token", {"grant_type": DEVICE_GRANT, "client_id": client_id,
                                                     "device_code": started["device_code"]})
        if status == 200:
            return body
        error = body.get("error")
        if error == "authorization_pending":
            out("  waiting for approval...")
        elif error == "slow_down":
            interval += 5  # RFC 8628 §3.5
            out(f"  asked to slow down: polling every {interval} s")
        else:
            raise RuntimeError(f"{error}: {body.get('error_description', '')}")
    raise RuntimeError("expired_token: nobody approved the device in time")


def _qr_lines(qr: segno.QRCode) -> list[str]:
    """Half-block characters: two QR rows per terminal line, with a quiet zone."""
    matrix = [list(row) for row in qr.matrix_iter(scale=1, border=2)]
    if len(matrix) % 2:
        matrix.append([0] * len(matrix[0]))
    chars = {(1, 1): " ", (1, 0): "▄", (0, 1): "▀", (0, 0): "█"}
    return ["".join(chars[(top, bottom)] for top, bottom in zip(matrix[i], matrix[i + 1], strict=True))
            for i in range(0, len(matrix), 2)]


def run_m2m(base: str, client_id: str, client_secret: str, *, audience: str) -> dict[str, Any]:
    auth = base64.b64encode(f"{urllib.parse.quote(client_id)}:{urllib.parse.quote(client_secret)}".encode()).decode()
    status, body = _post(base + "oauth/token", {"grant_type": "client_credentials", "audience": audience},
                         headers={"Authorization": f"Basic {auth}"})
    if status != 200:
        raise RuntimeError(f"{body.get('error')}: {body.get('error_description', '')}")
    return body
