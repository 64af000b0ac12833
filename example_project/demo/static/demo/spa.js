/* Single-page app demo: Authorization Code + PKCE (S256) with WebCrypto, no libraries. */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("spa-config").textContent);
  var PENDING = "demo-spa:pending"; // sessionStorage: {state, nonce, verifier} while the browser is away
  var accessToken = null; // tokens live in memory only

  function $(id) { return document.getElementById(id); }

  function base64url(bytes) {
    var s = "";
    bytes = new Uint8Array(bytes);
    for (var i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function base64urlDecode(text) {
    var b64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) b64 += "=";
    var bin = atob(b64);
    var bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return bytes;
  }

  function randomString(size) {
    return base64url(crypto.getRandomValues(new Uint8Array(size)));
  }

  function decodeJwt(token) {
    var parts = String(token).split(".");
    if (parts.length !== 3) throw new Error("Not a JWT (expected three dot-separated parts).");
    var text = new TextDecoder().decode(base64urlDecode(parts[1]));
    return { header: JSON.parse(new TextDecoder().decode(base64urlDecode(parts[0]))), claims: JSON.parse(text) };
  }

  function status(message) { $("status").textContent = message; }

  function fail(message) {
    var box = $("error");
    box.textContent = message;
    box.hidden = false;
    status("");
  }

  function sortKeys(key, value) {
    if (!value || typeof value !== "object" || Array.isArray(value)) return value;
    var out = {};
    Object.keys(value).sort().forEach(function (k) { out[k] = value[k]; });
    return out;
  }

  function pretty(data) { return JSON.stringify(data, sortKeys, 2); }

  async function login() {
    var verifier = randomString(32); // 43 characters, RFC 7636 section 4.1
    var state = randomString(16);
    var nonce = randomString(16);
    var digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
    sessionStorage.setItem(PENDING, JSON.stringify({ state: state, nonce: nonce, verifier: verifier }));
    var params = new URLSearchParams({
      response_type: "code",
      client_id: config.clientId,
      redirect_uri: config.redirectUri,
      scope: config.scope,
      audience: config.audience,
      code_challenge: base64url(digest),
      code_challenge_method: "S256",
      state: state,
      nonce: nonce
    });
    window.location.assign(config.authorizationEndpoint + "?" + params.toString());
  }

  async function verifySignature(token) {
    // The ID token came straight from the token endpoint over TLS (OIDC Core 3.1.3.7 allows trusting
    // that), but checking the RS256 signature against the JWKS shows how keys are published.
    var parts = token.split(".");
    var header = decodeJwt(token).header;
    if (header.alg !== "RS256") throw new Error("Unexpected ID token algorithm " + header.alg + ".");
    var response = await fetch(config.jwksUri, { headers: { Accept: "application/json" } });
    var jwks = await response.json();
    var jwk = (jwks.keys || []).filter(function (k) { return k.kid === header.kid; })[0];
    if (!jwk) throw new Error("No key " + header.kid + " in " + config.jwksUri + ".");
    var key = await crypto.subtle.importKey("jwk", { kty: jwk.kty, n: jwk.n, e: jwk.e, alg: "RS256", ext: true },
      { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, false, ["verify"]);
    var ok = await crypto.subtle.verify("RSASSA-PKCS1-v1_5", key, base64urlDecode(parts[2]),
      new TextEncoder().encode(parts[0] + "." + parts[1]));
    if (!ok) throw new Error("The ID token signature is not valid.");
    return header.kid;
  }

  function checkIdClaims(claims, nonce) {
    var now = Math.floor(Date.now() / 1000);
    var aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (claims.iss !== config.issuer) throw new Error("ID token issuer " + claims.iss + " is not " + config.issuer + ".");
    if (aud.indexOf(config.clientId) < 0) throw new Error("The ID token is not for " + config.clientId + ".");
    if (typeof claims.exp !== "number" || claims.exp + 60 < now) throw new Error("The ID token has expired.");
    if (claims.nonce !== nonce) throw new Error("The ID token nonce does not match the one this page sent.");
  }

  async function handleCallback(query) {
    var pending = JSON.parse(sessionStorage.getItem(PENDING) || "null");
    sessionStorage.removeItem(PENDING);
    history.replaceState(null, "", config.redirectUri); // the code must not stay in the address bar
    if (query.get("error")) throw new Error(query.get("error") + ": " + (query.get("error_description") || ""));
    if (!pending) throw new Error("No login is pending in this tab (sessionStorage is empty). Press Log in again.");
    if (query.get("state") !== pending.state) throw new Error("The state does not match: this response was not started here.");
    if (query.get("iss") && query.get("iss") !== config.issuer) throw new Error("The response came from another issuer.");
    status("Exchanging the code for tokens…");
    var response = await fetch(config.tokenEndpoint, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
      body: new URLSearchParams({
        grant_type: "authorization_code",
        client_id: config.clientId,
        code: query.get("code") || "",
        redirect_uri: config.redirectUri,
        code_verifier: pending.verifier
      })
    });
    var body = await response.json();
    if (!response.ok) throw new Error("Token request failed (HTTP " + response.status + "): " + pretty(body));
    var idToken = decodeJwt(body.id_token);
    checkIdClaims(idToken.claims, pending.nonce);
    var kid = await verifySignature(body.id_token);
    accessToken = body.access_token;
    var summary = {};
    Object.keys(body).forEach(function (k) { summary[k] = /_token$/.test(k) ? "(received)" : body[k]; });
    $("id-token-claims").textContent = pretty(idToken.claims);
    $("access-token-claims").textContent = pretty(decodeJwt(body.access_token).claims);
    $("token-response").textContent = pretty(summary);
    $("verification").textContent = "ID token checked: RS256 signature (key " + kid + "), issuer, audience, expiry and nonce.";
    $("tokens").hidden = false;
    $("login").textContent = "Log in again";
    status("Logged in.");
    $("tokens-heading").focus();
  }

  async function callApi() {
    var out = $("api-result");
    var apiStatus = $("api-status");
    apiStatus.textContent = "Calling the API…";
    try {
      var response = await fetch(config.apiUrl, { headers: { Authorization: "Bearer " + accessToken, Accept: "application/json" } });
      var text = await response.text();
      var type = response.headers.get("Content-Type") || "no content type";
      var body;
      try { body = JSON.parse(text); } catch (e) { body = "(" + type + ", " + text.length + " characters, not JSON: not shown)"; }
      var result = { url: config.apiUrl, status: response.status, body: body };
      if (response.status === 404) result.note = "Nothing answers at this URL: the example API is not mounted in this project.";
      var challenge = response.headers.get("WWW-Authenticate");
      if (challenge) result.www_authenticate = challenge;
      out.textContent = pretty(result);
      $("api-result-heading").textContent = "API response: HTTP " + response.status;
      apiStatus.textContent = "The API answered HTTP " + response.status + ".";
    } catch (err) {
      out.textContent = pretty({ url: config.apiUrl, status: null, body: String(err) });
      apiStatus.textContent = "The API call failed: " + String(err.message || err);
    }
    $("api-result-heading").hidden = false;
    out.hidden = false;
  }

  $("tokens-heading").setAttribute("tabindex", "-1");
  $("login").addEventListener("click", function () { login().catch(function (err) { fail(String(err.message || err)); }); });
  $("call-api").addEventListener("click", callApi);
  var query = new URLSearchParams(window.location.search);
  if (query.has("code") || query.has("error")) {
    handleCallback(query).catch(function (err) { fail(String(err.message || err)); });
  }
})();
