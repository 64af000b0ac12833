"""In-process measurements, one side per process (``python -m bench.inproc ours|baseline OUT.json``).

Through ``django.test.Client`` on a throwaway SQLite database made for this process:
- SQL queries per request of every workload (``CaptureQueriesContext``), with the statements;
- server CPU of a failed client authentication (``time.process_time()`` deltas over N attempts);
- ours only: the signing cost against raw ``cryptography`` (RS256, ES256, EdDSA) and pyinstrument
  profiles of the token endpoint and the bearer path (bench/profiles/*.txt).

With ``REDIS_URL`` (the production class) also the Redis commands of every workload, counted by the
Redis server itself (MONITOR, between two markers around each request); with
``BENCH_INPROC_COUNTS_ONLY=1`` only the counts (SQL and Redis) are made.

The environment (settings module, database, cache, secrets) comes from bench.run."""
from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
PROFILES = Path(os.environ.get("BENCH_PROFILES_DIR") or ROOT / "bench" / "profiles")
AUDIENCE = "https://api.example.test/"
CALLBACK = "https://rp.example.test/callback"
VERIFIER = "bench-pkce-verifier-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFG"
CHALLENGE = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).rstrip(b"=").decode()
#: Scopes of the user flows: what a regular web app asks Auth0 for when it calls an API and stays signed in.
USER_SCOPE = "openid profile email offline_access read:messages"
QUICK = os.environ.get("BENCH_QUICK") == "1"
COUNTS_ONLY = os.environ.get("BENCH_INPROC_COUNTS_ONLY") == "1"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


class Workload:
    """One request shape; ``make()`` returns (method, path, data, headers) for the next request."""

    def __init__(self, name: str, make: Callable[[], tuple[str, str, dict | None, dict]], expect: int,
                 after: Callable[[Any], None] | None = None) -> None:
        self.name, self.make, self.expect, self.after = name, make, expect, after


def send(client: Any, w: Workload, req: tuple[str, str, dict | None, dict] | None = None) -> Any:
    method, path, data, headers = req or w.make()
    if method == "GET":
        response = client.get(path, headers=headers)
    else:
        response = client.post(path, data=urlencode(data or {}), content_type="application/x-www-form-urlencoded",
                               headers=headers)
    if response.status_code != w.expect:
        raise RuntimeError(f"{w.name}: {method} {path} answered {response.status_code}, expected {w.expect}: "
                           f"{response.content[:300]!r}")
    if w.after:
        w.after(response)
    return response


def count_queries(client: Any, w: Workload, n: int, warm: int = 1) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(warm):
        send(client, w)
    counts, statements = [], []
    for _ in range(n):
        req = w.make()  # codes and tokens are made outside the counted request
        with CaptureQueriesContext(connection) as queries:
            response = send(client, w, req)
        counts.append(len(queries))
        statements = [q["sql"] for q in queries.captured_queries]
    return {"queries": int(statistics.median(counts)), "min": min(counts), "max": max(counts),
            "statements": [_short_sql(s) for s in statements], "signed": signed_tokens(response.content)}


def signed_tokens(content: bytes) -> dict[str, int]:
    """The JWTs of a token response by signing algorithm (``{"RS256": 2}`` for an access token and an ID
    token): what the request signed, read from its answer. An opaque token (DOT's, a refresh token) is none."""
    try:
        body = json.loads(content)
    except ValueError:
        return {}
    found: dict[str, int] = {}
    for value in body.values() if isinstance(body, dict) else ():
        parts = value.split(".") if isinstance(value, str) else []
        if len(parts) != 3:
            continue
        try:
            header = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
        except ValueError:
            continue
        if isinstance(header, dict) and isinstance(header.get("alg"), str):
            found[header["alg"]] = found.get(header["alg"], 0) + 1
    return found


class RedisMonitor:
    """Counts the commands the Redis server receives on one database number, between two markers.

    A MONITOR connection reads the server's feed; an ECHO with a unique marker, sent on that database by
    another connection before and after the counted request, delimits it (the feed is in the order the
    server ran the commands), so every command the request made is counted once it is answered. With a
    key prefix (the run's ``KEY_PREFIX``) only commands that name one of its keys count: another user of
    the same database number cannot add to the count (a command naming no key at all would be missed,
    and django_authflows sends none per request)."""

    def __init__(self, url: str, prefix: str = "") -> None:
        import socket

        self.prefix = prefix.encode()  # only commands naming one of our keys: others may share the database
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 6379
        self.db = int((parts.path or "/0").lstrip("/") or 0)
        self.sock = socket.create_connection((self.host, self.port), timeout=10)
        self.sock.sendall(b"MONITOR\r\n")
        self.buffer = b""
        assert self._line() == b"+OK", "MONITOR refused"
        import redis

        self.marker_client = redis.Redis(host=self.host, port=self.port, db=self.db)

    def _line(self) -> bytes:
        while b"\r\n" not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise RuntimeError("MONITOR connection closed")
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\r\n", 1)
        return line

    def _until(self, marker: str) -> list[bytes]:
        """The feed's lines for our database before ``marker``."""
        seen = []
        tag = f"[{self.db} ".encode()
        while True:
            line = self._line()
            if marker.encode() in line:
                return seen
            if tag in line and self.prefix in line:
                seen.append(line)

    def count(self, fn: Callable[[], Any]) -> tuple[int, list[str]]:
        import secrets

        start, end = "bench-start-" + secrets.token_hex(6), "bench-end-" + secrets.token_hex(6)
        self.marker_client.echo(start)
        self._until(start)
        fn()
        self.marker_client.echo(end)
        lines = self._until(end)
        commands = []
        sent = [line for line in lines if f"[{self.db} lua]".encode() not in line]  # not the scripts' own calls
        for line in lines:
            match = re.search(rb'\] "([A-Za-z]+)"(?: "([^"]*)")?', line)
            if match:
                key = (match.group(2) or b"").decode(errors="replace")
                key = re.sub(r"^[^:]+:\d+:", "", key)[:60]  # without the run's KEY_PREFIX and version
                inside = f"[{self.db} lua]".encode() in line
                commands.append(("  (in the script) " if inside else "") + f"{match.group(1).decode().upper()} {key}".strip())
        return len(sent), commands

    def close(self) -> None:
        self.sock.close()
        self.marker_client.close()


def count_redis(monitor: RedisMonitor, client: Any, w: Workload, n: int, warm: int = 1) -> dict[str, Any]:
    for _ in range(warm):
        send(client, w)
    counts, commands = [], []
    for _ in range(n):
        req = w.make()
        count, commands = monitor.count(lambda req=req: send(client, w, req))
        counts.append(count)
    return {"commands": int(statistics.median(counts)), "min": min(counts), "max": max(counts),
            "statements": commands}


def _short_sql(sql: str) -> str:
    """The verb and the tables of a statement (enough to see what could be joined or cached)."""
    verb = sql.split(None, 1)[0].upper()
    tables = sorted(set(re.findall(r'(?:FROM|INTO|UPDATE|JOIN)\s+"([^"]+)"', sql)))
    where = re.search(r"WHERE (.{0,120})", sql)
    cond = re.sub(r'"[a-z_0-9]+"\.', "", where.group(1)) if where else ""
    return f"{verb} {', '.join(tables)}" + (f" WHERE {cond}" if cond else "")


def cpu_per_request(client: Any, w: Workload, n: int, repeat: int = 3) -> float:
    """Milliseconds of this process's CPU per request (the test client's own work included), the best
    of ``repeat`` loops of ``n`` requests: a busy host only ever makes a loop slower."""
    send(client, w)
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        for _ in range(n):
            send(client, w)
        best = min(best, (time.process_time() - start) / n * 1000)
    return best


def interleaved_cpu(client: Any, workloads: list[Workload], n: int, repeat: int = 7) -> dict[str, float]:
    """Like cpu_per_request for several workloads, their loops taken in turn within each repetition, so
    that a host that slows down for a while slows each of them alike; the best loop of each is kept."""
    best = {w.name: float("inf") for w in workloads}
    for w in workloads:
        send(client, w)
    for _ in range(repeat):
        for w in workloads:
            start = time.process_time()
            for _ in range(n):
                send(client, w)
            best[w.name] = min(best[w.name], (time.process_time() - start) / n * 1000)
    return best


class DirectResponse:
    def __init__(self, status: str, content: bytes) -> None:
        self.status_code, self.content = int(status.split()[0]), content

    def json(self) -> Any:
        return json.loads(self.content)


class DirectWSGI:
    """Requests straight into Django's WSGIHandler, as gunicorn makes them: the server's CPU without the
    test client's own work (request building, signals, response wrapping) and without HTTP parsing."""

    def __init__(self) -> None:
        from django.core.handlers.wsgi import WSGIHandler

        self.handler = WSGIHandler()

    def request(self, method: str, path: str, body: bytes, content_type: str, headers: dict[str, str]) -> Any:
        environ = {
            "REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": "", "SCRIPT_NAME": "",
            "SERVER_NAME": "testserver", "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1", "HTTP_HOST": "testserver", "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body), "wsgi.errors": sys.stderr, "wsgi.version": (1, 0),
            "wsgi.multithread": False, "wsgi.multiprocess": True, "wsgi.run_once": False,
        }
        if body:
            environ["CONTENT_LENGTH"], environ["CONTENT_TYPE"] = str(len(body)), content_type
        for key, value in headers.items():
            environ["HTTP_" + key.upper().replace("-", "_")] = value
        status: list[str] = []
        result = self.handler(environ, lambda s, h, exc_info=None: status.append(s))
        try:
            content = b"".join(result)
        finally:
            result.close()  # request_finished, as under gunicorn
        return DirectResponse(status[0], content)

    def get(self, path: str, headers: dict[str, str]) -> Any:
        return self.request("GET", path, b"", "", headers)

    def post(self, path: str, data: str, content_type: str, headers: dict[str, str]) -> Any:
        return self.request("POST", path, data.encode(), content_type, headers)


# -- ours ---------------------------------------------------------------------------------------------
class Ours:
    def __init__(self) -> None:
        from django.core.management import call_command
        from django.test import Client

        call_command("migrate", verbosity=0)
        call_command("seed_demo", "--base-url", "http://127.0.0.1:8000", stdout=io.StringIO())
        from example_project.demo.secrets import demo_secret

        self.m2m_secret = demo_secret("demo-m2m")
        out = io.StringIO()
        call_command("authflows", "apps", "create", "--name", "Bench Web", "--type", "regular",
                     "--callbacks", CALLBACK, "--json", stdout=out)
        web = json.loads(out.getvalue())
        self.web_id, self.web_secret = web["client_id"], web["client_secret"]
        from bench.jose import Key

        self.dpop_key, self.pk_key = Key(), Key()
        jwk_file = Path(os.environ["SQLITE_PATH"]).parent / f"inproc-pkjwt-{os.getpid()}.json"
        jwk_file.write_text(json.dumps({"keys": [{**self.pk_key.public_jwk, "kid": "bench", "alg": "ES256"}]}))
        out = io.StringIO()
        call_command("authflows", "apps", "create", "--name", "Bench private_key_jwt", "--type", "m2m",
                     "--auth-method", "private_key_jwt", "--jwk-file", str(jwk_file), "--api", AUDIENCE, "--json",
                     stdout=out)
        self.pk_id = json.loads(out.getvalue())["client_id"]
        self.browser = Client()
        self.browser.get("/login")
        login = self.browser.post("/login", {"username": "demo", "password": "demo-password-123"})
        assert login.status_code == 302, login.content[:300]
        self.api = Client()
        first = self.exchange(self.code())
        self.access_token = first["access_token"]
        self.refresh_token = first["refresh_token"]
        response = self.api.post("/oauth/token", data=urlencode({"grant_type": "client_credentials",
                                                                  "audience": AUDIENCE}),
                                 content_type="application/x-www-form-urlencoded",
                                 headers={"Authorization": basic("demo-m2m", self.m2m_secret),
                                          "DPoP": self.dpop_key.proof("POST", "http://testserver/oauth/token")})
        assert response.status_code == 200 and response.json()["token_type"] == "DPoP", response.content[:300]
        self.dpop_token = response.json()["access_token"]

    def authorize_url(self, scope: str = USER_SCOPE) -> str:
        return "/authorize?" + urlencode({
            "response_type": "code", "client_id": self.web_id, "redirect_uri": CALLBACK, "scope": scope,
            "audience": AUDIENCE, "state": "bench-state", "nonce": "bench-nonce", "code_challenge": CHALLENGE,
            "code_challenge_method": "S256"})

    def code(self, scope: str = USER_SCOPE) -> str:
        url = self.authorize_url(scope)
        response = self.browser.get(url)
        if response.status_code == 200 and b'name="allow"' in response.content:
            response = self.browser.post(url, {"allow": "1"})
        assert response.status_code == 302, response.content[:300]
        return parse_qs(urlsplit(response["Location"]).query)["code"][0]

    def exchange(self, code: str) -> dict[str, Any]:
        response = self.api.post("/oauth/token", data=urlencode(self.code_body(code)),
                                 content_type="application/x-www-form-urlencoded",
                                 headers={"Authorization": basic(self.web_id, self.web_secret)})
        assert response.status_code == 200, response.content[:300]
        return response.json()

    @staticmethod
    def code_body(code: str) -> dict[str, str]:
        return {"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK, "code_verifier": VERIFIER}

    def workloads(self) -> dict[str, Workload]:
        bearer = {"Authorization": "Bearer " + self.access_token}
        m2m = basic("demo-m2m", self.m2m_secret)
        web = basic(self.web_id, self.web_secret)
        cc = {"grant_type": "client_credentials", "audience": AUDIENCE}
        codes: dict[str, list[str]] = {"code": [], "code_openid": []}

        def next_code(kind: str) -> str:
            if not codes[kind]:
                codes[kind].extend(self.code(USER_SCOPE if kind == "code" else "openid profile email read:messages")
                                   for _ in range(3))
            return codes[kind].pop()

        def keep_refresh(response: Any) -> None:
            self.refresh_token = response.json()["refresh_token"]

        wrong_htu = {"Authorization": "DPoP " + self.dpop_token,
                     "DPoP": self.dpop_key.proof("GET", "http://testserver/api/private", self.dpop_token)}

        return {
            "public": Workload("public", lambda: ("GET", "/api/public", None, {}), 200),
            "drf_public": Workload("drf_public", lambda: ("GET", "/api/drf/public", None, {}), 200),
            "private": Workload("private", lambda: ("GET", "/api/private", None, bearer), 200),
            "drf_private": Workload("drf_private", lambda: ("GET", "/api/drf/private", None, bearer), 200),
            "cc_basic": Workload("cc_basic", lambda: ("POST", "/oauth/token", cc, {"Authorization": m2m}), 200),
            "cc_post": Workload("cc_post", lambda: ("POST", "/oauth/token", {
                **cc, "client_id": "demo-m2m", "client_secret": self.m2m_secret}, {}), 200),
            "cc_wrong": Workload("cc_wrong", lambda: ("POST", "/oauth/token", {
                **cc, "client_id": "demo-m2m", "client_secret": "wrong-" + self.m2m_secret[6:]}, {}), 401),
            "cc_unknown": Workload("cc_unknown", lambda: ("POST", "/oauth/token", {
                **cc, "client_id": "no-such-client", "client_secret": self.m2m_secret}, {}), 401),
            "code": Workload("code", lambda: ("POST", "/oauth/token", self.code_body(next_code("code")),
                                              {"Authorization": web}), 200),
            "code_openid": Workload("code_openid", lambda: ("POST", "/oauth/token",
                                                            self.code_body(next_code("code_openid")),
                                                            {"Authorization": web}), 200),
            "refresh": Workload("refresh", lambda: ("POST", "/oauth/token", {
                "grant_type": "refresh_token", "refresh_token": self.refresh_token}, {"Authorization": web}), 200,
                after=keep_refresh),
            "jwks": Workload("jwks", lambda: ("GET", "/.well-known/jwks.json", None, {}), 200),
            "discovery": Workload("discovery", lambda: ("GET", "/.well-known/openid-configuration", None, {}), 200),
            "userinfo": Workload("userinfo", lambda: ("GET", "/userinfo", None, bearer), 200),
            "dpop": Workload("dpop", lambda: ("GET", "/api/drf/private", None, {
                "Authorization": "DPoP " + self.dpop_token,
                "DPoP": self.dpop_key.proof("GET", "http://testserver/api/drf/private", self.dpop_token)}), 200),
            "dpop_refused": Workload("dpop_refused", lambda: ("GET", "/api/drf/private", None, wrong_htu), 401),
            "pkjwt": Workload("pkjwt", lambda: ("POST", "/oauth/token", {
                **cc, "client_assertion_type": ASSERTION_TYPE,
                "client_assertion": self.pk_key.assertion(self.pk_id, "http://testserver/")}, {}), 200),
        }


# -- baseline -----------------------------------------------------------------------------------------
class Baseline:
    def __init__(self, tmp: Path) -> None:
        from django.core.management import call_command
        from django.test import Client

        from bench.dot_baseline import seed as dot

        call_command("migrate", verbosity=0)
        self.apps = dot.seed()["applications"]
        self.tmp = tmp
        self.api = Client()
        token = self.exchange("bench-web-plain", self.codes("bench-web-plain", 1)[0])
        self.access_token = token["access_token"]
        self.refresh = {"bench-web": self.refreshes("bench-web"), "bench-web-plain": self.refreshes("bench-web-plain")}

    def codes(self, client_id: str, n: int) -> list[str]:
        from bench.dot_baseline import seed as dot

        path = self.tmp / "inproc-codes.txt"
        dot.codes(client_id, n, str(path))
        return path.read_text().split()

    def refreshes(self, client_id: str) -> list[str]:
        from bench.dot_baseline import seed as dot

        path = self.tmp / "inproc-refresh.txt"
        dot.refresh(client_id, 1, str(path))
        return path.read_text().split()

    def auth(self, client_id: str) -> dict[str, str]:
        return {"Authorization": basic(client_id, self.apps[client_id]["client_secret"])}

    def exchange(self, client_id: str, code: str) -> dict[str, Any]:
        response = self.api.post("/o/token/", data=urlencode(Ours.code_body(code) | {"redirect_uri": CALLBACK}),
                                 content_type="application/x-www-form-urlencoded", headers=self.auth(client_id))
        assert response.status_code == 200, response.content[:300]
        return response.json()

    def workloads(self) -> dict[str, Workload]:
        bearer = {"Authorization": "Bearer " + self.access_token}
        out = {
            "public": Workload("public", lambda: ("GET", "/api/public", None, {}), 200),
            "drf_private": Workload("drf_private", lambda: ("GET", "/api/private", None, bearer), 200),
            "jwks": Workload("jwks", lambda: ("GET", "/o/.well-known/jwks.json", None, {}), 200),
            "discovery": Workload("discovery", lambda: ("GET", "/o/.well-known/openid-configuration", None, {}), 200),
            "userinfo": Workload("userinfo", lambda: ("GET", "/o/userinfo/", None, bearer), 200),
        }
        for suffix in ("", "-plain"):
            m2m, web = "bench-m2m" + suffix, "bench-web" + suffix
            tag = "_plain" if suffix else ""
            secret = self.apps[m2m]["client_secret"]

            def code_request(web: str = web) -> tuple[str, str, dict, dict]:
                return "POST", "/o/token/", Ours.code_body(self.codes(web, 1)[0]), self.auth(web)

            def refresh_request(web: str = web) -> tuple[str, str, dict, dict]:
                return "POST", "/o/token/", {"grant_type": "refresh_token",
                                             "refresh_token": self.refresh[web][-1]}, self.auth(web)

            def keep(response: Any, web: str = web) -> None:
                self.refresh[web].append(response.json()["refresh_token"])

            out.update({
                f"cc_basic{tag}": Workload(f"cc_basic{tag}", lambda m2m=m2m: (
                    "POST", "/o/token/", {"grant_type": "client_credentials", "scope": "read"}, self.auth(m2m)), 200),
                f"cc_post{tag}": Workload(f"cc_post{tag}", lambda m2m=m2m, secret=secret: (
                    "POST", "/o/token/", {"grant_type": "client_credentials", "scope": "read", "client_id": m2m,
                                          "client_secret": secret}, {}), 200),
                f"cc_wrong{tag}": Workload(f"cc_wrong{tag}", lambda m2m=m2m, secret=secret: (
                    "POST", "/o/token/", {"grant_type": "client_credentials", "scope": "read", "client_id": m2m,
                                          "client_secret": "wrong-" + secret[6:]}, {}), 401),
                f"code{tag}": Workload(f"code{tag}", code_request, 200),
                f"refresh{tag}": Workload(f"refresh{tag}", refresh_request, 200, after=keep),
            })
        out["cc_unknown"] = Workload("cc_unknown", lambda: (
            "POST", "/o/token/", {"grant_type": "client_credentials", "client_id": "no-such-client",
                                  "client_secret": "x" * 64}, {}), 401)
        return out


# -- signing ------------------------------------------------------------------------------------------
def _best(fn: Callable[[], None], n: int, repeat: int = 3) -> float:
    """Microseconds per call: the best of ``repeat`` loops of ``n`` calls (CPU time, like timeit)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        for _ in range(n):
            fn()
        best = min(best, time.process_time() - start)
    return best / n * 1e6


def _best_in_turn(fns: dict[str, Callable[[], Any]], n: int, repeat: int = 7) -> dict[str, float]:
    """Like :func:`_best` for several functions, their loops taken in turn within each repetition: a
    host that slows down for a while slows each of them alike, and the best loop of each is kept."""
    best = dict.fromkeys(fns, float("inf"))
    for _ in range(repeat):
        for name, fn in fns.items():
            start = time.process_time()
            for _ in range(n):
                fn()
            best[name] = min(best[name], time.process_time() - start)
    return {name: value / n * 1e6 for name, value in best.items()}


def signing() -> dict[str, Any]:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
    from jwcrypto import jwk, jws

    from django_authflows.server import jwt, keys

    payload = os.urandom(300)
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    ed_key = ed25519.Ed25519PrivateKey.generate()
    raw = {
        "RS256": lambda: rsa_key.sign(payload, padding.PKCS1v15(), hashes.SHA256()),
        "ES256": lambda: ec_key.sign(payload, ec.ECDSA(hashes.SHA256())),
        "EdDSA": lambda: ed_key.sign(payload),
    }
    now = int(time.time())
    claims = {"iss": "https://bench.example.test/", "sub": "auth0|0123456789abcdef01234567",
              "aud": ["https://api.example.test/", "https://bench.example.test/userinfo"], "iat": now,
              "exp": now + 86400, "scope": "openid profile email read:messages", "jti": "abcdefghijklmnopqrstuv",
              "client_id": "AbCdEfGhIjKlMnOpQrStUvWxYz012345", "azp": "AbCdEfGhIjKlMnOpQrStUvWxYz012345"}
    claims_len = len(json.dumps(claims, separators=(",", ":")))
    n = {"RS256": 150 if QUICK else 250, "ES256": 600 if QUICK else 1200, "EdDSA": 600 if QUICK else 1200}
    out: dict[str, Any] = {"payload_bytes": 300, "claims_bytes": claims_len, "algs": {}}
    for alg, fn in raw.items():
        jwt.sign(claims, typ="at+jwt", alg=alg)  # creates this alg's first key in the throwaway database
        kid, signer = keys.active_key(alg)
        key = jwk.JWK.from_pyca(signer.key)  # the same private key, for jwcrypto's JWS object
        encoded = json.dumps(claims, separators=(",", ":")).encode()

        def jwcrypto_only(key: Any = key, alg: str = alg, kid: str = kid) -> None:
            token = jws.JWS(encoded)
            token.add_signature(key, alg=alg, protected={"alg": alg, "kid": kid, "typ": "at+jwt"})
            token.serialize(compact=True)

        pair = _best_in_turn({"raw": fn, "ours": lambda alg=alg: jwt.sign(claims, typ="at+jwt", alg=alg)}, n[alg])
        raw_us, ours_us = pair["raw"], pair["ours"]
        jwcrypto_us = _best(jwcrypto_only, n[alg])
        active_us = _best(lambda alg=alg: keys.active_key(alg), 5000)
        out["algs"][alg] = {"raw_us": raw_us, "ours_us": ours_us, "ratio": ours_us / raw_us,
                            "jwcrypto_us": jwcrypto_us, "active_key_us": active_us, "n": n[alg]}
    # The raw cost of checking an ES256 signature (what a DPoP proof or a private_key_jwt assertion costs).
    signature = ec_key.sign(payload, ec.ECDSA(hashes.SHA256()))
    public = ec_key.public_key()
    out["algs"]["ES256"]["verify_us"] = _best(
        lambda: public.verify(signature, payload, ec.ECDSA(hashes.SHA256())), n["ES256"])
    return out


# -- profiles -----------------------------------------------------------------------------------------
def profile(client: Any, w: Workload, n: int, name: str, title: str) -> dict[str, Any]:
    from pyinstrument import Profiler

    for _ in range(3):
        send(client, w)
    requests = [w.make() for _ in range(n)]  # codes and the like are made before the profiler starts
    it = iter(requests)
    replay = Workload(w.name, lambda: next(it), w.expect, w.after)
    if w.name == "refresh":  # each refresh needs the previous answer's token
        replay = w
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for _ in range(n):
        send(client, replay)
    session = profiler.stop()
    text = profiler.output_text(unicode=False, color=False, show_all=False,
                                processor_options={"filter_threshold": 0.02})
    ours = _our_hotspots(session.root_frame())
    flat = profiler.output_text(unicode=False, color=False, flat=True, flat_time="self")
    flat_top = "\n".join(flat.splitlines()[:40])
    PROFILES.mkdir(parents=True, exist_ok=True)
    per_request_ms = session.duration / n * 1000
    lines = [f"# {title}", f"# {n} requests through django.test.Client in one process (production settings, "
             f"DEBUG off); {per_request_ms:.2f} ms wall per request under the profiler.", "",
             "## Where the time goes in django_authflows (inclusive, % of all samples)", ""]
    lines += [f"{h['percent']:5.1f}%  {h['where']}  {h['function']}" for h in ours[:20]]
    lines += ["", "## Call tree (frames under 2% hidden)", "", text.strip(), "",
              "## Flat: self time by function (top 40 lines)", "", flat_top, ""]
    (PROFILES / f"{name}.txt").write_text("\n".join(lines))
    return {"name": name, "ms_per_request": per_request_ms, "our_hotspots": ours[:12]}


def _our_hotspots(root: Any) -> list[dict[str, Any]]:
    """Inclusive time of each django_authflows function (recursion counted once), as % of the total."""
    total = root.time or 1e-9
    spent: dict[tuple[str, str], float] = {}

    def walk(frame: Any, active: frozenset) -> None:
        key = None
        path = frame.file_path or ""
        if "django_authflows" in path and not frame.is_synthetic:
            short = path[path.index("django_authflows"):]
            key = (f"{short}:{frame.line_no}", frame.function)
            if key not in active:
                spent[key] = spent.get(key, 0.0) + frame.time
        nxt = active | {key} if key else active
        for child in frame.children:
            walk(child, nxt)

    walk(root, frozenset())
    ranked = sorted(spent.items(), key=lambda kv: -kv[1])
    return [{"where": k[0], "function": k[1], "percent": v / total * 100} for k, v in ranked]


# -- main ---------------------------------------------------------------------------------------------
def main() -> None:
    side, out_path = sys.argv[1], Path(sys.argv[2])
    import django

    django.setup()
    from django.test import Client

    tmp = Path(os.environ["SQLITE_PATH"]).parent
    result: dict[str, Any] = {"side": side, "queries": {}, "failed_auth": {}}
    client = Client()
    n = 3 if QUICK else 5
    if side == "ours":
        ctx = Ours()
        work = ctx.workloads()
        for name, w in work.items():
            result["queries"][name] = count_queries(client, w, n)
        if os.environ.get("REDIS_URL"):
            monitor = RedisMonitor(os.environ["REDIS_URL"], os.environ.get("BENCH_REDIS_PREFIX", ""))
            try:
                result["redis"] = {name: count_redis(monitor, client, w, n) for name, w in work.items()}
            finally:
                monitor.close()
        if COUNTS_ONLY:
            out_path.write_text(json.dumps(result, indent=1))
            return
        # refused DPoP proofs: CPU straight through the WSGI handler, next to the plain GET floor
        direct = DirectWSGI()
        dpop_ms = interleaved_cpu(direct, [work["dpop_refused"], work["public"]], 150 if QUICK else 300,
                                  repeat=3 if QUICK else 5)
        result["dpop_refused"] = {"refused_ms": dpop_ms["dpop_refused"], "public_get_ms": dpop_ms["public"]}
        from django.core.cache import cache
        from django.test import override_settings

        from example_project import settings as example

        attempts = 200 if QUICK else 300
        direct = DirectWSGI()
        # In turn within each repetition, best loop of each kept: a host that slows down for a while
        # slows all four alike, and the best loop is the one it disturbed least.
        loops = 3 if QUICK else 5
        direct_ms = interleaved_cpu(direct, [work[k] for k in ("cc_wrong", "cc_unknown", "cc_basic", "public")],
                                    attempts, repeat=loops)
        result["failed_auth"] = {
            "method": "time.process_time() delta over N requests made straight into Django's WSGI handler (as "
                      "gunicorn calls it, without its HTTP parsing), in one process; the four loops taken in turn, "
                      f"best of {loops} each",
            "n": attempts,
            "wrong_secret_ms": direct_ms["cc_wrong"],
            "unknown_client_ms": direct_ms["cc_unknown"],
            "success_ms": direct_ms["cc_basic"],
            "public_get_ms": direct_ms["public"],
            "test_client_wrong_secret_ms": cpu_per_request(client, work["cc_wrong"], attempts),
        }
        cache.clear()
        with override_settings(AUTHFLOWS=example.AUTHFLOWS):  # the example project's own rate limits
            limited = Workload("cc_wrong_limited", work["cc_wrong"].make, 401)
            statuses = []

            def note(response: Any) -> None:
                statuses.append(response.status_code)

            def any_refusal(w: Workload = limited) -> Any:
                method, path, data, headers = w.make()
                response = client.post(path, data=urlencode(data), content_type="application/x-www-form-urlencoded",
                                       headers=headers)
                note(response)
                return response

            start = time.process_time()
            for _ in range(attempts):
                any_refusal()
            result["failed_auth"]["default_limits_ms"] = (time.process_time() - start) / attempts * 1000
            result["failed_auth"]["default_limits_statuses"] = {str(s): statuses.count(s) for s in set(statuses)}
        cache.clear()
        # What the protection itself costs, without HTTP parsing or the host's noise between wrk windows.
        n_get = 300 if QUICK else 800
        result["bearer_cost"] = interleaved_cpu(direct, [work[name] for name in
                                                         ("public", "private", "drf_public", "drf_private")], n_get)
        result["signing"] = signing()
        profiles_n = {"cc": 150 if QUICK else 200, "code": 60 if QUICK else 80, "bearer": 400 if QUICK else 800,
                      "wrong": 300 if QUICK else 400}
        result["profiles"] = [
            profile(client, work["cc_basic"], profiles_n["cc"], "token_client_credentials",
                    "POST /oauth/token, client_credentials, client_secret_basic (demo-m2m)"),
            profile(client, work["code"], profiles_n["code"], "token_code_exchange",
                    f"POST /oauth/token, authorization_code + PKCE, client_secret_basic, scope '{USER_SCOPE}'"),
            profile(client, work["drf_private"], profiles_n["bearer"], "bearer_drf_private",
                    "GET /api/drf/private with a valid JWT access token (DRF BearerAuthentication + HasScope)"),
            profile(client, work["dpop"], profiles_n["bearer"] // 2, "dpop_drf_private",
                    "GET /api/drf/private with a DPoP-bound JWT and a fresh ES256 proof per request (DRF)"),
            profile(client, work["cc_wrong"], profiles_n["wrong"], "token_failed_auth",
                    "POST /oauth/token, client_credentials, client_secret_post with a wrong secret (401)"),
        ]
    else:
        ctx = Baseline(tmp)
        work = ctx.workloads()
        for name, w in work.items():
            slow = name in {"cc_basic", "cc_post", "cc_wrong", "code", "refresh"}  # PBKDF2, ~0.25 s each
            result["queries"][name] = count_queries(client, w, 2 if slow else n, warm=0 if slow else 1)
        slow_n = 3 if QUICK else 5
        attempts = 200 if QUICK else 300
        direct = DirectWSGI()
        result["failed_auth"] = {
            "method": "time.process_time() delta over N requests made straight into Django's WSGI handler, in "
                      "one process, best of 3 loops (1 loop for the PBKDF2-bound requests)",
            "n": attempts, "n_hashed": slow_n,
            "wrong_secret_ms": cpu_per_request(direct, work["cc_wrong"], slow_n, repeat=1),
            "wrong_secret_plain_ms": cpu_per_request(direct, work["cc_wrong_plain"], attempts),
            "unknown_client_ms": cpu_per_request(direct, work["cc_unknown"], attempts),
            "success_ms": cpu_per_request(direct, work["cc_basic"], slow_n, repeat=1),
            "success_plain_ms": cpu_per_request(direct, work["cc_basic_plain"], attempts),
            "public_get_ms": cpu_per_request(direct, work["public"], attempts),
        }
    out_path.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
