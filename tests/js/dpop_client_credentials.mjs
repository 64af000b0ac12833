// oauth4webapi (panva) as an independent DPoP client (RFC 9449): discovery, client credentials with a DPoP
// proof, then the example API with the DPoP-bound token. Prints one JSON line for tests/test_js_clients.py.
import * as oauth from 'oauth4webapi'

const [issuerUrl, clientId, secret, audience, apiUrl, alg] = process.argv.slice(2)
const insecure = { [oauth.allowInsecureRequests]: true } // the live test server is http on loopback
const issuer = new URL(issuerUrl)
const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, insecure))
const client = { client_id: clientId }
const DPoP = oauth.DPoP(client, await oauth.generateKeyPair(alg || 'ES256'))
const response = await oauth.clientCredentialsGrantRequest(
  as, client, oauth.ClientSecretBasic(secret), new URLSearchParams({ audience }), { DPoP, ...insecure })
const token = await oauth.processClientCredentialsResponse(as, client, response)
const api = await oauth.protectedResourceRequest(token.access_token, 'GET', new URL(apiUrl), new Headers(), null,
  { DPoP, ...insecure })
// The same token without its proof, as a stolen bearer token would be sent.
const stolen = await fetch(apiUrl, { headers: { Authorization: `Bearer ${token.access_token}` } })
console.log(JSON.stringify({
  discovery_algs: as.dpop_signing_alg_values_supported, token_type: token.token_type,
  api_status: api.status, api_body: await api.json(), stolen_status: stolen.status,
  stolen_challenge: stolen.headers.get('www-authenticate'),
}))
