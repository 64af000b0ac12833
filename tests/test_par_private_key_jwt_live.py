"""Independent client (Authlib) against a live server: private_key_jwt client credentials, and PAR + private_key_jwt
+ PKCE code flow end to end (RFC 7523 §2.2, RFC 9126)."""
from __future__ import annotations

import json
import time
import uuid

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7523 import PrivateKeyJWT, private_key_jwt_sign
from jwcrypto import jwk, jwt
from joserfc.jwk import ECKey

from .live import LiveServer
from .oauth import pkce_pair, query
from .test_authlib_client import browser_login_and_consent

pytestmark = pytest.mark.live
AUD = "https://api.example.test/"
CALLBACK = "http://127.0.0.1:9/callback"


@pytest.fixture(scope="module")
def server():
    with LiveServer() as live:
        yield live


def keyed_app(server, tmp_path, *args):
    key = jwk.JWK.generate(kty="EC", crv="P-256", kid=uuid.uuid4().hex)
    path = tmp_path / "public.json"
    path.write_text(key.export_public())
    app = server.manage_json("authflows", "apps", "create", "--auth-method", "private_key_jwt",
                             "--jwk-file", str(path), *args, "--json")
    return app, key


def test_authlib_private_key_jwt_client_credentials(server, tmp_path):
    app, key = keyed_app(server, tmp_path, "--name", "Keyed M2M", "--type", "m2m", "--api", AUD,
                         "--scopes", "read:messages")
    meta = requests.get(server.url + "/.well-known/openid-configuration", timeout=10).json()
    session = OAuth2Session(app["client_id"], ECKey.import_key(key.export_to_pem(private_key=True, password=None)),
                            token_endpoint_auth_method=short_lived(meta["token_endpoint"]))
    token = session.fetch_token(meta["token_endpoint"], grant_type="client_credentials", audience=AUD)
    assert token["token_type"] == "Bearer" and token["scope"] == "read:messages"
    api = requests.get(server.url + "/api/private-scoped", timeout=10,
                       headers={"Authorization": f"Bearer {token['access_token']}"})
    assert api.status_code == 200
    # the same assertion twice: the second is refused (jti single use)
    now = int(time.time())
    assertion = jwt.JWT(header={"alg": "ES256", "kid": json.loads(key.export_public())["kid"]},
                        claims={"iss": app["client_id"], "sub": app["client_id"], "aud": meta["token_endpoint"],
                                "exp": now + 60, "jti": uuid.uuid4().hex})
    assertion.make_signed_token(key)
    data = {"grant_type": "client_credentials", "audience": AUD, "client_assertion": assertion.serialize(),
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}
    assert requests.post(meta["token_endpoint"], data=data, timeout=10).status_code == 200
    replay = requests.post(meta["token_endpoint"], data=data, timeout=10)
    assert replay.status_code == 401 and replay.json()["error"] == "invalid_client"


def test_par_private_key_jwt_pkce_code_flow(server, tmp_path):
    app, key = keyed_app(server, tmp_path, "--name", "Keyed web", "--type", "regular", "--callbacks", CALLBACK,
                         "--require-par")
    meta = requests.get(server.url + "/.well-known/openid-configuration", timeout=10).json()
    auth = short_lived(meta["token_endpoint"])
    pem = ECKey.import_key(key.export_to_pem(private_key=True, password=None))
    verifier, challenge = pkce_pair()
    session = OAuth2Session(app["client_id"], pem, token_endpoint_auth_method=auth, redirect_uri=CALLBACK,
                            scope="openid profile")
    body = {"response_type": "code", "client_id": app["client_id"], "redirect_uri": CALLBACK, "scope": "openid profile",
            "state": "s1", "nonce": "n1", "code_challenge": challenge, "code_challenge_method": "S256"}
    assertion = private_key_jwt_sign(pem, app["client_id"], meta["issuer"], alg="ES256",
                                     claims={"exp": int(time.time()) + 120})  # RFC 9126 §2: aud = the issuer
    pushed = requests.post(meta["pushed_authorization_request_endpoint"], timeout=10, data={
        **body, "client_assertion": assertion,
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"})
    assert pushed.status_code == 201, pushed.text
    request_uri = pushed.json()["request_uri"]
    url = meta["authorization_endpoint"] + "?" + requests.compat.urlencode(
        {"client_id": app["client_id"], "request_uri": request_uri})
    callback = browser_login_and_consent(requests.Session(), url, server.url)
    assert callback.startswith(CALLBACK) and query(callback)["state"] == "s1"
    token = session.fetch_token(meta["token_endpoint"], code=query(callback)["code"], code_verifier=verifier,
                                grant_type="authorization_code")
    assert "id_token" in token and token["token_type"] == "Bearer"
    # the request_uri was used once; a plain request is refused for this application (require PAR)
    again = requests.get(url, timeout=10, allow_redirects=False)
    assert again.status_code == 400
    plain = requests.get(meta["authorization_endpoint"], params=body, timeout=10, allow_redirects=False)
    assert plain.status_code == 302 and query(plain.headers["Location"])["error"] == "invalid_request"


def short_lived(token_endpoint):
    """Authlib's assertions live an hour by default; we accept at most 5 minutes (RFC 7523 §3 leaves it to us)."""
    return PrivateKeyJWT(token_endpoint, alg="ES256", claims={"exp": int(time.time()) + 120})
