"""No 500 on any input, proven at the wire: raw HTTP/1.1 bytes to a live gunicorn, for every endpoint and page.

Django's test client encodes what it is given (it never sends ``%ZZ``, raw 0xff or a truncated chunk), so every
request here is written byte by byte to the socket. Measured: zero 5xx, and every answer from /oauth/* and
/userinfo that has a body is JSON. Deterministic: an explicit list, then cases drawn with a fixed seed.
"""
from __future__ import annotations

import base64
import itertools
import json
import random
import re
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest

from ..live import LiveServer
from .raw import Answer, Session, demo_secret, exchange, log_in, request_bytes

pytestmark = pytest.mark.live

AUD = "https://api.example.test/"
JSON_PATHS = ("/oauth/", "/userinfo")
FORM = b"application/x-www-form-urlencoded"


@dataclass(frozen=True)
class Case:
    method: str
    target: bytes
    who: str  # "anon" or "user": whose cookies (and CSRF token) go with it
    headers: tuple[tuple[bytes, bytes], ...] = ()
    body: bytes | None = None
    content_length: int | None = None

    def describe(self) -> str:
        return f"{self.method} {self.target[:120]!r} as {self.who} headers={self.headers[:4]!r} body={(self.body or b'')[:120]!r}"


@pytest.fixture(scope="module")
def server():
    with LiveServer({"DJANGO_DEBUG": "0"}, gunicorn=True, workers=2) as live:
        yield live


@pytest.fixture(scope="module")
def sessions(server):
    anon = Session(server.port)
    anon.send("GET", "/login")  # a CSRF cookie, as a browser has one before it posts a form
    # "demo" is logged in here, before the sweep: the sweep's failed logins from this address then trip the
    # per-IP login limit, as they should. "spare" is never used by the sweep (which may log "user" out).
    return {"anon": anon, "user": log_in(server, "demo", "demo-password-123"),
            "spare": log_in(server, "demo", "demo-password-123")}


def send(server: LiveServer, sessions: dict[str, Session], case: Case) -> Answer:
    session = sessions[case.who]
    headers = [*case.headers, (b"X-CSRFToken", session.csrf.encode())]
    cookie = "; ".join(f"{k}={v}" for k, v in session.cookies.items())
    if cookie:
        headers.append((b"Cookie", cookie.encode()))
    return exchange(server.port, request_bytes(case.method, case.target, port=server.port, headers=headers,
                                               body=case.body, content_length=case.content_length))


def problem(case: Case, answer: Answer) -> str | None:
    """What is wrong with the answer, or None. An answer without Django's security headers came from
    gunicorn itself (a request line or framing it refuses): it only has to be a 4xx."""
    if answer.status >= 500:
        return f"{answer.status}"
    from_django = bool(answer.header("Referrer-Policy"))
    path = case.target.split(b"?")[0].decode("latin-1")
    if from_django and path.startswith(JSON_PATHS) and answer.body:
        if not answer.header("Content-Type").startswith("application/json"):
            return f"{answer.status} {answer.header('Content-Type')} is not JSON"
        try:
            json.loads(answer.body)
        except ValueError:
            return f"{answer.status} body does not parse as JSON"
    return None


# -- the inputs ---------------------------------------------------------------------------------------
BIG = b"A" * 100_000
LONG = b"B" * 3_000  # a query value that fits gunicorn's request line (4094 bytes)
BAD_QUERIES = [
    b"x=%ZZ", b"x=%", b"x=%F", b"%ZZ=1", b"x=%G0&y=%0G", b"x=%FF%FE", b"x=\xff\xfe", b"client_id=\xff",
    b"x=%00", b"client_id=demo-spa%00", b"x=\x00", b"client_id=a&client_id=b", b"scope=openid&scope=openid",
    b"state=" + LONG, b"client_id=" + LONG, b"redirect_uri=" + LONG, b"audience=" + LONG, b"nonce=" + LONG,
    b"login_hint=" + LONG, b"x=" + BIG, b"prompt=%FF", b"max_age=%EF%BC%91", b"max_age=" + b"9" * 40,
    b"response_mode=%00", b"=&&=&;", b"&", b"a", b"x=%C0%AE", b"login_hint=%FF%FE", b"returnTo=%ZZ",
    b"client_id=demo-regular-web-app&returnTo=javascript:%ZZ", b"consent=%C2%B2", b"user_code=%ZZ%FF",
    b"id_token_hint=a.b.c%FF",
]
AUTHORIZE_BASE = b"response_type=code&client_id=demo-regular-web-app&scope=openid%20offline_access&state=s"
BAD_BODIES = [
    b"grant_type=client_credentials&client_id=demo-m2m&client_secret=x&x=%ZZ", b"grant_type=%FF%FE",
    b"client_id=\xff\xfe&grant_type=client_credentials", b"grant_type=refresh_token&refresh_token=%00",
    b"grant_type=refresh_token&refresh_token=\x00", b"client_id=demo-spa&client_id=demo-spa",
    b"token=a&token=b&client_id=demo-spa", b"x=" + BIG, b"client_id=" + BIG, b"audience=" + BIG + b"&client_id=demo-spa",
    b"grant_type=authorization_code&code=x&client_id=demo-spa&code_verifier=%ZZ",
    b"grant_type=authorization_code&code=x&client_id=demo-spa&code_verifier=" + BIG,
    b'{"grant_type": "client_credentials", "client_id": "demo-m2m", "client_secret": "\\u0000"}',
    b'{"client_id": ["a"], "grant_type": {"x": 1}}', b"[1]", b'{"a": 1e999}', b'{"a": "\\ud800"}', b"\xff\xfe\x00",
    b"allow=1&allow=1", b"allow=%FF%FE", b"deny=\x00", b"consent=\xc2\xb2", b"consent=%C2%B2",
    b"consent=99999999999999999999999999", b"username=%FF&password=%ZZ", b"username=" + BIG,
    b"user_code=%ZZ", b"user_code=\xff\xfe", b"id_token_hint=%FF&returnTo=%ZZ",
    b'--xyz\r\nContent-Disposition: form-data; name="a"\r\n\r\n\xff\r\n--xyz--\r\n', b"--xyz\r\n\r\n", b"",
]
CONTENT_TYPES: list[bytes | None] = [
    FORM, FORM + b"; charset=latin-1", FORM + b"; charset=bogus", FORM + b"; charset=utf-16",
    FORM + b"; charset=\xff", b"application/json", b"application/json; charset=latin-1",
    b"multipart/form-data; boundary=xyz", b"multipart/form-data", b"text/plain", b"\xff\xfe", b"", None,
]
AUTHORIZATIONS = [
    b"Basic", b"Basic !!!", b"Basic " + base64.b64encode(b"\xff\xfe:x"), b"Basic " + base64.b64encode(b"nocolon"),
    b"Basic " + base64.b64encode(b"demo-m2m:\xff"), b"Basic " + base64.b64encode(b"%ZZ:%ZZ"),
    b"Basic " + base64.b64encode(b"demo-m2m\x00:x"), b"Basic =", b"Bearer", b"Bearer \xff\xfe", b"Bearer a.b.c",
    b"Bearer " + b"a" * 6000, b"\xff", b"Digest x", b"DPoP", b"DPoP a.b.c", b"DPoP \xff\xfe",
]
#: DPoP proofs (RFC 9449) that are not proofs: no JWS, bad base64, headers that are not JSON objects, a
#: jwk of the wrong shape, huge, and repeated headers.
_B64 = lambda raw: base64.urlsafe_b64encode(raw).rstrip(b"=")  # noqa: E731
DPOP_PROOFS = [
    b"", b"x", b"a.b.c", b"\xff.\xfe.\x00", b"%ZZ.%ZZ.%ZZ", b"." * 3000,
    _B64(b"[]") + b".e30.x", _B64(b"null") + b".e30.x", _B64(b'{"typ":"dpop+jwt","alg":"ES256"}') + b".e30.x",
    _B64(b'{"typ":"dpop+jwt","alg":"ES256","jwk":"x"}') + b"." + _B64(b"[1]") + b".x",
    _B64(b'{"typ":"dpop+jwt","alg":"none","jwk":{"kty":"EC","crv":"P-256","x":"%ZZ","y":1}}') + b".e30.",
    _B64(b'{"typ":"dpop+jwt","alg":"RS256","jwk":{"kty":"RSA","n":"AQAB","e":"AQAB"}}') + b"." + _B64(
        b'{"htm":"POST","htu":"x","iat":"now","jti":[]}') + b".AAAA",
    _B64(b'{"typ":"dpop+jwt","alg":"EdDSA","jwk":{"kty":"OKP","crv":"Ed25519","x":"' + b"A" * 5000 + b'"}}')
    + b".e30.AAAA",
]


def targets(base: str) -> tuple[list[tuple[str, str, str]], list[tuple[str, str, str]]]:
    """(method, path with its well-formed query, who): pages fuzzed in the query, and in the body."""
    authorize = "/authorize?" + AUTHORIZE_BASE.decode() + f"&redirect_uri={base}/demo/regular/callback"
    pages = ["/.well-known/openid-configuration", "/.well-known/jwks.json", "/api/public", "/api/private",
             "/api/private-scoped", "/api/drf/public", "/api/drf/private", "/api/drf/private-scoped",
             "/v2/logout", "/login", "/admin/login/", "/userinfo"]
    queried = [("GET", p, "anon") for p in pages]
    queried += [("GET", p, "user") for p in ("/authorize", authorize, "/activate", "/account/authorized-apps")]
    queried += [("GET", "/authorize", "anon"), ("GET", authorize, "anon")]
    posted = [("POST", p, "anon") for p in ("/oauth/token", "/oauth/device/code", "/oauth/revoke",
                                             "/oauth/introspect", "/userinfo", "/login", "/admin/login/", "/v2/logout")]
    posted += [("POST", p, "user") for p in (authorize, "/activate", "/account/authorized-apps", "/oauth/token")]
    queried += [(m, p, w) for m, p, w in posted if "?" not in p]  # POST endpoints with a bad query too
    return queried, posted


def with_query(path: str, query: bytes) -> bytes:
    return path.encode() + (b"&" if "?" in path else b"?") + query


def cases(base: str) -> list[Case]:
    queried, posted = targets(base)
    m2m = base64.b64encode(f"demo-m2m:{demo_secret('demo-m2m')}".encode())
    out: list[Case] = []
    for (method, path, who), query in itertools.product(queried, BAD_QUERIES):
        body = b"grant_type=client_credentials&client_id=demo-spa" if method == "POST" else None
        out.append(Case(method, with_query(path, query), who, ((b"Content-Type", FORM),), body))
    for (method, path, who), body in itertools.product(posted, BAD_BODIES):
        out.append(Case(method, path.encode(), who, ((b"Content-Type", FORM),), body))
    for (method, path, who), ctype in itertools.product(posted, CONTENT_TYPES):
        for body in (BAD_BODIES[0], BAD_BODIES[2], b'{"grant_type": "client_credentials"}'):
            out.append(Case(method, path.encode(), who, ((b"Content-Type", ctype),) if ctype is not None else (),
                            body))
    framing = [
        ((b"Transfer-Encoding", b"chunked"), b"5\r\nx=%ZZ\r\n0\r\n\r\n", None),  # valid chunks
        ((b"Transfer-Encoding", b"chunked"), b"ff\r\nx=1", None),  # truncated
        ((b"Transfer-Encoding", b"chunked"), b"zz\r\n\xff\xfe\r\n0\r\n\r\n", None),  # garbage size
        ((b"Transfer-Encoding", b"chunked"), b"5\r\nx=%ZZ\r\n0\r\n\r\n", 3),  # both framings (smuggling)
        ((b"Transfer-Encoding", b"gzip, chunked"), b"5\r\nx=abc\r\n0\r\n\r\n", None),
        ((b"X-Framing", b"long"), b"grant_type=client_credentials", 10_000),  # shorter than announced
        ((b"X-Framing", b"short"), b"grant_type=client_credentials&client_id=demo-spa" + b"\xff" * 100, 20),
        ((b"X-Framing", b"bad"), b"x=1", -1),
    ]
    for (method, path, who), (header, body, length) in itertools.product(posted, framing):
        out.append(Case(method, path.encode(), who, ((b"Content-Type", FORM), header), body, length))
    client_endpoints = [p for m, p, w in posted if p.startswith(("/oauth/", "/userinfo"))]
    for path, auth in itertools.product(client_endpoints, AUTHORIZATIONS):
        out.append(Case("POST", path.encode(), "anon", ((b"Content-Type", FORM), (b"Authorization", auth)),
                        b"grant_type=client_credentials&token=x&client_id=demo-spa"))
    for path in ("/api/private", "/api/drf/private", "/userinfo"):
        out += [Case("GET", path.encode(), "anon", ((b"Authorization", auth),)) for auth in AUTHORIZATIONS]
    for proof in DPOP_PROOFS:
        out.append(Case("POST", b"/oauth/token", "anon", ((b"Content-Type", FORM), (b"DPoP", proof)),
                        b"grant_type=client_credentials&client_id=demo-m2m&client_secret=x"))
        out.append(Case("POST", b"/oauth/token", "anon", ((b"Content-Type", FORM), (b"DPoP", proof), (b"DPoP", proof)),
                        b"grant_type=refresh_token&refresh_token=x&client_id=demo-spa"))
        for path in ("/api/private", "/api/drf/private", "/userinfo"):
            out.append(Case("GET", path.encode(), "anon", ((b"Authorization", b"DPoP a.b.c"), (b"DPoP", proof))))
    out.append(Case("POST", b"/oauth/token?x=%ZZ", "anon", ((b"Content-Type", FORM), (b"Authorization", b"Basic " + m2m)),
                    b"grant_type=client_credentials&audience=" + AUD.encode()))
    return out + drawn(base, queried, posted, random.Random(14), 250)


PARAMS = ["grant_type", "code", "redirect_uri", "client_id", "client_secret", "refresh_token", "scope", "audience",
          "resource", "code_verifier", "device_code", "token", "token_type_hint", "response_type", "state", "nonce",
          "prompt", "max_age", "response_mode", "code_challenge", "code_challenge_method", "user_code", "returnTo",
          "post_logout_redirect_uri", "id_token_hint", "login_hint", "username", "password", "allow", "consent"]
VALUES = [b"", b"%ZZ", b"%", b"%F", b"%FF%FE", b"\xff\xfe", b"%00", b"\x00", b"demo-spa", b"demo-m2m", b"openid",
          b"client_credentials", b"refresh_token", b"authorization_code", b"code", b"S256", b"none", b"%C2%B2",
          b"\xc2\xb2", b"-1", b"9" * 30, AUD.encode(), b"javascript:alert(1)", b"a.b.c", LONG]


def drawn(base: str, queried: list, posted: list, rng: random.Random, count: int) -> list[Case]:
    out = []
    for _ in range(count):
        pairs = b"&".join(rng.choice(PARAMS).encode() + b"=" + rng.choice(VALUES) for _ in range(rng.randint(1, 6)))
        if rng.random() < 0.3:
            pairs += b"&" + pairs.split(b"&")[0]  # a repeated key
        if rng.random() < 0.5:
            method, path, who = rng.choice(queried)
            out.append(Case(method, with_query(path, pairs), who, ((b"Content-Type", FORM),),
                            b"" if method == "POST" else None))
        else:
            method, path, who = rng.choice(posted)
            ctype = rng.choice(CONTENT_TYPES)
            out.append(Case(method, path.encode(), who, ((b"Content-Type", ctype),) if ctype is not None else (),
                            pairs))
    return out


# -- the tests ----------------------------------------------------------------------------------------
def test_no_5xx_and_json_at_oauth_for_raw_requests(server, sessions):
    all_cases = cases(server.url)
    started = time.monotonic()
    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda case: send(server, sessions, case), all_cases))
    failures = [f"{problem(c, a)}: {c.describe()}" for c, a in zip(all_cases, answers) if problem(c, a)]
    from_server = sum(not a.header("Referrer-Policy") for a in answers)
    print(f"\nwire fuzz: {len(all_cases)} raw requests in {time.monotonic() - started:.1f} s, "
          f"{len(failures)} failures, {from_server} refused by gunicorn before Django")
    assert not failures, "\n".join(failures[:30])


@pytest.mark.parametrize("path", ["/authorize", "/oauth/token", "/oauth/device/code", "/oauth/revoke",
                                  "/oauth/introspect"])
def test_invalid_percent_escape_in_the_query_is_a_400(server, path):
    body = b"grant_type=client_credentials&client_id=demo-spa&token=x"
    answer = exchange(server.port, request_bytes("GET" if path == "/authorize" else "POST", path + "?x=%ZZ",
                                                 port=server.port, headers=[("Content-Type", FORM)], body=body))
    assert answer.status == 400, answer.body[:300]
    if path != "/authorize":
        assert answer.json()["error"] == "invalid_request"


@pytest.mark.parametrize("body", [b"allow=1&allow=1", b"allow=%FF%FE"])
def test_malformed_consent_post_is_still_a_decision(server, sessions, body):
    user = sessions["spare"]
    query = AUTHORIZE_BASE + f"&redirect_uri={server.url}/demo/regular/callback&prompt=consent".encode()
    answer = user.send("POST", b"/authorize?" + query, [("Content-Type", FORM), ("X-CSRFToken", user.csrf)], body)
    assert answer.status == 302, answer.body[:300]
    assert re.search(r"[?&]code=", answer.header("Location")), answer.header("Location")


@pytest.mark.parametrize("value", ["²", "99999999999999999999999999"])
def test_authorized_apps_refuses_a_consent_id_that_is_not_a_number(server, sessions, value):
    user = sessions["spare"]
    answer = user.send("POST", "/account/authorized-apps", [("Content-Type", FORM), ("X-CSRFToken", user.csrf)],
                       f"consent={value}".encode())
    assert answer.status == 400, answer.body[:300]


def test_client_credentials_of_a_just_deleted_application_is_invalid_client(server):
    created = server.manage_json("authflows", "apps", "create", "--name", "soon gone", "--type", "m2m",
                                 "--api", AUD, "--scopes", "read:messages")
    body = (f"grant_type=client_credentials&client_id={created['client_id']}&client_secret={created['client_secret']}"
            f"&audience={AUD}").encode()
    for _worker in range(4):  # both workers keep their copy of the application
        assert exchange(server.port, request_bytes("POST", "/oauth/token", port=server.port,
                                                   headers=[("Content-Type", FORM)], body=body)).status == 200
    server.manage("authflows", "apps", "delete", created["client_id"])
    for _worker in range(4):
        answer = exchange(server.port, request_bytes("POST", "/oauth/token", port=server.port,
                                                     headers=[("Content-Type", FORM)], body=body))
        assert answer.status == 401 and answer.json()["error"] == "invalid_client", answer.body[:300]
