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
    return RuntimeError(
        f"Could not reach {url} ({reason}). Is the server running there? "
        "Give its address with --base-url (the demo's home page prints the full command)."
    )


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


def run_device(
    base: str,
    client_id: str,
    *,
    scope: str,
    audience: str | None,
    out: Callable[[str], None],
    timeout: float = 900,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """Act as a device (RFC 8628): show the code and a QR code, poll honouring interval and slow_down."""
    status, started = _post(
        base + "oauth/device/code", {"client_id": client_id, "scope": scope, "audience": audience or ""}
    )
    if status != 200:
        raise RuntimeError(f"/oauth/device/code answered {status}: {started}")
    out(
        f"\nOn your phone or computer, open:\n\n    {started['verification_uri']}\n\nand enter the code:\n\n"
        f"    {started['user_code']}\n\nor scan this QR code ({started['verification_uri_complete']}):\n"
    )
    qr = segno.make(started["verification_uri_complete"], error="l")
    out("\n".join(_qr_lines(qr)))
    interval, deadline = int(started["interval"]), time.monotonic() + min(timeout, started["expires_in"])
    while time.monotonic() < deadline:
        sleep(interval)
        status, body = _post(
            base + "oauth/token",
            {"grant_type": DEVICE_GRANT, "client_id": client_id, "device_code": started["device_code"]},
        )
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
    return [
        "".join(chars[(top, bottom)] for top, bottom in zip(matrix[i], matrix[i + 1], strict=True))
        for i in range(0, len(matrix), 2)
    ]


def run_m2m(base: str, client_id: str, client_secret: str, *, audience: str) -> dict[str, Any]:
    auth = base64.b64encode(f"{urllib.parse.quote(client_id)}:{urllib.parse.quote(client_secret)}".encode()).decode()
    status, body = _post(
        base + "oauth/token",
        {"grant_type": "client_credentials", "audience": audience},
        headers={"Authorization": f"Basic {auth}"},
    )
    if status != 200:
        raise RuntimeError(f"{body.get('error')}: {body.get('error_description', '')}")
    return body


ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def _send(
    url: str,
    *,
    data: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], Any]:
    """One request; (status, headers, JSON body or text), errors included."""
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise RuntimeError(f"{url!r} is not an http(s) URL.")
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    request = urllib.request.Request(  # noqa: S310 (http or https only, checked above)
        url, data=body, headers={"Accept": "application/json", **(headers or {})}
    )
    if body is not None:
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
    try:
        with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310 (a URL the operator gave)
            status, answer, raw = response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        status, answer, raw = exc.code, dict(exc.headers), exc.read() or b""
    except (urllib.error.URLError, OSError) as exc:
        raise unreachable(url, exc) from None
    try:
        return status, answer, json.loads(raw)
    except ValueError:
        return status, answer, raw.decode(errors="replace")


def _header(headers: dict[str, str], name: str) -> str:
    return next((v for k, v in headers.items() if k.lower() == name.lower()), "")


def run_dpop(
    base: str,
    client_id: str,
    *,
    audience: str,
    api_url: str,
    key_file: str | None = None,
    client_secret: str | None = None,
    out: Callable[[str], None] = lambda line: None,
) -> dict[str, Any]:
    """DPoP client credentials end to end (RFC 9449): a fresh ES256 proof key, a token bound to it (the client
    authenticated with private_key_jwt from ``key_file`` or with ``client_secret``), the API called with a proof,
    then the same token sent as a plain Bearer token (which the API must refuse)."""
    import hashlib
    import uuid

    from jwcrypto import jwk, jwt

    client_key: jwk.JWK | None = None
    if key_file:
        try:
            with open(key_file, encoding="utf-8") as handle:
                client_key = jwk.JWK.from_json(handle.read())
        except (OSError, ValueError) as exc:
            raise RuntimeError(f"Cannot read the private JWK in {key_file}: {exc}") from None
        if not client_key.has_private:
            raise RuntimeError(f"{key_file} holds no private key (private_key_jwt signs with it).")
    proof_key = jwk.JWK.generate(kty="EC", crv="P-256")
    public = json.loads(proof_key.export_public())
    jkt = proof_key.thumbprint()

    def sign(header: dict[str, Any], claims: dict[str, Any], key: Any) -> str:
        token = jwt.JWT(header=header, claims=claims)
        token.make_signed_token(key)
        return token.serialize()

    def proof(method: str, url: str, nonce: str | None = None, access_token: str | None = None) -> str:
        claims: dict[str, Any] = {"jti": uuid.uuid4().hex, "htm": method, "htu": url, "iat": int(time.time())}
        if nonce:
            claims["nonce"] = nonce
        if access_token:
            claims["ath"] = (
                base64.urlsafe_b64encode(hashlib.sha256(access_token.encode()).digest()).rstrip(b"=").decode()
            )
        return sign({"typ": "dpop+jwt", "alg": "ES256", "jwk": public}, claims, proof_key)

    token_url = base + "oauth/token"
    data = {"grant_type": "client_credentials", "audience": audience}
    headers: dict[str, str] = {}
    if not key_file:
        headers["Authorization"] = (
            "Basic "
            + base64.b64encode(
                f"{urllib.parse.quote(client_id)}:{urllib.parse.quote(client_secret or '')}".encode()
            ).decode()
        )
    out(f"Proof key: a new ES256 key pair, thumbprint (jkt) {jkt}")
    nonce = None
    status: int = 0
    answer: dict[str, str] = {}
    body: Any = None
    for _attempt in range(2):
        if client_key is not None:
            now = int(time.time())
            data["client_assertion_type"] = ASSERTION_TYPE
            data["client_assertion"] = sign(
                {"alg": "ES256", "kid": client_key.get("kid") or client_key.thumbprint()},
                {
                    "iss": client_id,
                    "sub": client_id,
                    "aud": base,  # the issuer identifier: the one aud a FAPI 2.0 application may use
                    "iat": now,
                    "exp": now + 60,
                    "jti": uuid.uuid4().hex,
                },
                client_key,
            )
        status, answer, body = _send(token_url, data=data, headers={**headers, "DPoP": proof("POST", token_url, nonce)})
        if status == 400 and isinstance(body, dict) and body.get("error") == "use_dpop_nonce" and nonce is None:
            nonce = _header(answer, "DPoP-Nonce")  # RFC 9449 §8: the server wants its nonce in the proof
            out("The server asked for its DPoP nonce; sending the proof again with it.")
            continue
        break
    if status != 200 or not isinstance(body, dict):
        raise RuntimeError(f"/oauth/token answered {status}: {body}")
    access_token = body["access_token"]
    claims = decode(access_token)
    api_status, _h, api_body = _send(
        api_url,
        headers={"Authorization": f"DPoP {access_token}", "DPoP": proof("GET", api_url, access_token=access_token)},
    )
    bearer_status, bearer_headers, _b = _send(api_url, headers={"Authorization": f"Bearer {access_token}"})
    return {
        "token_type": body.get("token_type"),
        "cnf": claims.get("cnf"),
        "proof_key_jkt": jkt,
        "access_token_claims": claims,
        "api": {"url": api_url, "status": api_status, "body": api_body},
        "as_bearer": {"status": bearer_status, "www_authenticate": _header(bearer_headers, "WWW-Authenticate")},
    }
