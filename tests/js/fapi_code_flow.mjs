// oauth4webapi (panva) as an independent FAPI-style client: PAR + private_key_jwt + DPoP + PKCE authorization
// code flow, a DPoP-bound refresh, then the example API with the DPoP-bound token, and what a thief would try.
//
// The person in between is the test's: this script prints {"authorize": url} on one line, reads the callback URL
// (where the browser was sent back) from stdin, then prints one JSON line of results for tests/test_js_clients.py.
import { readFileSync } from 'node:fs'
import { createInterface } from 'node:readline'
import * as oauth from 'oauth4webapi'

const [issuerUrl, clientId, privateJwkPath, redirectUri, audience, apiUrl, plainApiUrl] = process.argv.slice(2)
const insecure = { [oauth.allowInsecureRequests]: true } // the live test server is http on loopback

// Every request this client sends, so that a proof can be replayed as an attacker who saw it would.
const sent = []
const recording = (url, init) => {
  sent.push({ url: String(url), headers: new Headers(init?.headers) })
  return fetch(url, init)
}
const options = (extra) => ({ ...insecure, [oauth.customFetch]: recording, ...extra })

const issuer = new URL(issuerUrl)
const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, insecure))
const client = { client_id: clientId }

const jwk = JSON.parse(readFileSync(privateJwkPath, 'utf8'))
const algorithm = jwk.kty === 'EC' ? { name: 'ECDSA', namedCurve: jwk.crv } : { name: 'RSA-PSS', hash: 'SHA-256' }
const { kid, ...material } = jwk
const clientKey = await crypto.subtle.importKey('jwk', material, algorithm, false, ['sign'])
const clientAuth = oauth.PrivateKeyJwt({ key: clientKey, kid })

const dpopKeys = await oauth.generateKeyPair('ES256')
const DPoP = oauth.DPoP(client, dpopKeys)
// RFC 7638 thumbprint of the DPoP public key (computed here, not by the library under comparison).
const { crv, x, y } = await crypto.subtle.exportKey('jwk', dpopKeys.publicKey)
const jkt = Buffer.from(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(
  JSON.stringify({ crv, kty: 'EC', x, y })))).toString('base64url')

// Retries once when the server asks for its DPoP nonce (RFC 9449 §8); oauth4webapi keeps the nonce it was given.
const nonceErrors = []
async function withNonce (send, process) {
  try {
    return await process(await send())
  } catch (err) {
    if (!oauth.isDPoPNonceError(err)) throw err
    nonceErrors.push(err.error || 'use_dpop_nonce')
    return await process(await send())
  }
}

// 1. PAR (RFC 9126), authenticated with private_key_jwt, the code bound to the DPoP key (dpop_jkt, RFC 9449 §10).
const verifier = oauth.generateRandomCodeVerifier()
const state = oauth.generateRandomState()
const nonce = oauth.generateRandomNonce()
const pushed = await oauth.processPushedAuthorizationResponse(as, client, await oauth.pushedAuthorizationRequest(
  as, client, clientAuth, {
    response_type: 'code', redirect_uri: redirectUri, scope: 'openid profile offline_access read:messages',
    audience, state, nonce, code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256', dpop_jkt: jkt,
  }, options()))
const authorize = new URL(as.authorization_endpoint)
authorize.searchParams.set('client_id', clientId)
authorize.searchParams.set('request_uri', pushed.request_uri)
console.log(JSON.stringify({
  authorize: authorize.href, request_uri: pushed.request_uri, expires_in: pushed.expires_in,
}))

const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]()
const callback = new URL((await lines.next()).value.trim())

// 2. The code for tokens, with a DPoP proof (and the server nonce when asked).
const params = oauth.validateAuthResponse(as, client, callback, state)
const tokens = await withNonce(
  () => oauth.authorizationCodeGrantRequest(as, client, clientAuth, params, redirectUri, verifier, options({ DPoP })),
  (response) => oauth.processAuthorizationCodeResponse(as, client, response, {
    expectedNonce: nonce, requireIdToken: true,
  }))
const claims = oauth.getValidatedIdTokenClaims(tokens)

// 3. A refresh, with a proof by the same key.
const refreshed = await withNonce(
  () => oauth.refreshTokenGrantRequest(as, client, clientAuth, tokens.refresh_token, options({ DPoP })),
  (response) => oauth.processRefreshTokenResponse(as, client, response))

// 4. The API with the refreshed DPoP-bound token and a fresh proof.
const api = await oauth.protectedResourceRequest(refreshed.access_token, 'GET', new URL(apiUrl), new Headers(), null,
  options({ DPoP }))
const apiBody = await api.json()
const apiProof = sent.at(-1).headers.get('dpop')

// The plain Django view (require_bearer) of the same API, not the DRF one: the same rules.
const plain = await oauth.protectedResourceRequest(refreshed.access_token, 'GET', new URL(plainApiUrl), new Headers(),
  null, options({ DPoP }))
const plainBody = await plain.json()
const plainStolen = await fetch(plainApiUrl, { headers: { Authorization: `Bearer ${refreshed.access_token}` } })

// 5. What a thief does with what it saw: the token as a plain Bearer token; the proof the client just sent, again.
const stolen = await fetch(apiUrl, { headers: { Authorization: `Bearer ${refreshed.access_token}` } })
const replayed = await fetch(apiUrl, { headers: { Authorization: `DPoP ${refreshed.access_token}`, DPoP: apiProof } })
// The first access token, with a proof for it but sent to the API with the refreshed token (ath of another token).
const before = await oauth.protectedResourceRequest(tokens.access_token, 'GET', new URL(apiUrl), new Headers(), null,
  options({ DPoP }))
const otherAth = await fetch(apiUrl, {
  headers: { Authorization: `DPoP ${refreshed.access_token}`, DPoP: sent.at(-1).headers.get('dpop') },
})
// 6. The pushed request_uri again: it was single use (RFC 9126 §4).
const again = await fetch(authorize, { redirect: 'manual' })

const tokenRequests = sent.filter((r) => r.url === as.token_endpoint)
console.log(JSON.stringify({
  par_endpoint: as.pushed_authorization_request_endpoint,
  jkt, sub: claims.sub, id_token_alg: JSON.parse(Buffer.from(tokens.id_token.split('.')[0], 'base64url')).alg,
  token_type: tokens.token_type, refreshed_token_type: refreshed.token_type,
  rotated: refreshed.refresh_token !== tokens.refresh_token,
  access_token: tokens.access_token, refreshed_access_token: refreshed.access_token,
  token_requests: tokenRequests.length, nonce_errors: nonceErrors,
  token_proofs_have_nonce: tokenRequests.map((r) => {
    const proof = r.headers.get('dpop')
    return proof ? 'nonce' in JSON.parse(Buffer.from(proof.split('.')[1], 'base64url')) : null
  }),
  api_status: api.status, api_body: apiBody,
  before_refresh_status: before.status,
  plain_api_status: plain.status, plain_api_body: plainBody, plain_stolen_status: plainStolen.status,
  plain_stolen_challenge: plainStolen.headers.get('www-authenticate'),
  stolen_status: stolen.status, stolen_challenge: stolen.headers.get('www-authenticate'),
  replayed_status: replayed.status, replayed_challenge: replayed.headers.get('www-authenticate'),
  other_ath_status: otherAth.status, other_ath_challenge: otherAth.headers.get('www-authenticate'),
  request_uri_again_status: again.status, request_uri_again_location: again.headers.get('location'),
}))
process.exit(0)
