// A mock OpenID Connect provider for one test (oauth2-mock-server on a free
// loopback port), with the person who "signs in" there chosen by the test.
//
//   const provider = await startOidcProvider({ user: { sub: 'u-1', name: 'Ada' } });
//   const server = await startServer({ name: t.name, env: provider.serverEnv({ name: 'Test ID' }) });
//   ...
//   provider.setUser({ sub: 'u-1', name: 'Ada Lovelace' }); // claims of the next tokens
//   provider.cancelNextAuthorization();                     // next /authorize answers error=access_denied
//   ...
//   await provider.stop();
//
// The mock's /authorize never shows a page: it redirects straight back to the
// redirect_uri with a code (or, after cancelNextAuthorization(), with
// error=access_denied and the same state), as if the person had pressed Allow
// (or Cancel) at once.
//
// What the library does by itself, and what this file adds:
// - the discovery document advertises `issuer.url`; the library would derive
//   `http://localhost:PORT` from 127.0.0.1, so it is set to `http://127.0.0.1:PORT`
//   (the app compares its MONKEYCI_OIDC_ISSUER with it exactly);
// - the nonce of an authorize request is kept by code and copied into the ID token
//   of that code's exchange (library behaviour);
// - the ID token's `aud` is the client id the app authenticated with at /token
//   (Basic auth or form body); it is set to the configured client id here, and the
//   credentials the app sent are recorded in `tokenRequests` for the tests to check;
// - `sub` would always be "johndoe" and there are no profile claims: the
//   `beforeTokenSigning` hook puts the chosen claims into both tokens, and
//   `beforeUserinfo` answers them from /userinfo;
// - the mock checks the PKCE verifier against the challenge (S256 or plain) when a
//   challenge was sent, but never checks the client secret.

import { OAuth2Server } from 'oauth2-mock-server';

export const OIDC_CLIENT_ID = 'monkeyci-e2e';
export const OIDC_CLIENT_SECRET = 'e2e-client-secret-not-a-real-one';

const STOP_TIMEOUT_MS = 5_000;

/** The client id and secret from a `Basic` Authorization header (RFC 6749 §2.3.1 form-encodes both). */
function basicCredentials(header) {
  const match = /^Basic\s+(\S+)$/i.exec(header ?? '');
  if (!match) return null;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  const unform = (s) => decodeURIComponent(s.replace(/\+/g, ' '));
  try {
    return { clientId: unform(decoded.slice(0, colon)), clientSecret: unform(decoded.slice(colon + 1)) };
  } catch {
    return { clientId: decoded.slice(0, colon), clientSecret: decoded.slice(colon + 1) };
  }
}

/** The claims without undefined values. */
function definedClaims(claims) {
  return Object.fromEntries(Object.entries(claims).filter(([, v]) => v !== undefined));
}

/**
 * Starts a mock OpenID Connect provider on 127.0.0.1 with a fresh RS256 key.
 * @param {object} [options]
 * @param {string} [options.clientId] the client id the app is configured with (becomes the ID token's `aud`)
 * @param {string} [options.clientSecret] the secret the app is configured with (only recorded, never checked by the mock)
 * @param {Record<string, unknown>} [options.user] the claims of the person who signs in (sub, name, preferred_username, email, ...)
 */
export async function startOidcProvider({
  clientId = OIDC_CLIENT_ID,
  clientSecret = OIDC_CLIENT_SECRET,
  user = { sub: 'e2e-user' },
} = {}) {
  const server = new OAuth2Server();
  await server.issuer.keys.generate('RS256');
  await server.start(0, '127.0.0.1');
  const { port } = server.address();
  const issuerUrl = `http://127.0.0.1:${port}`;
  // The library would advertise http://localhost:PORT; the app needs the exact issuer it is given.
  server.issuer.url = issuerUrl;

  let claims = definedClaims(user);
  let cancelNext = false;

  /** Each GET /authorize: its query parameters, and whether it was answered with a cancel. */
  const authorizeRequests = [];
  /** Each POST /token: the form and how the client authenticated. */
  const tokenRequests = [];
  /** The payload of every ID token issued (after the hooks), e.g. to check the nonce. */
  const idTokens = [];

  const service = server.service;

  service.on('beforeAuthorizeRedirect', (redirect, req) => {
    const query = Object.fromEntries(new URL(req.url, issuerUrl).searchParams);
    const cancelled = cancelNext;
    cancelNext = false;
    if (cancelled) {
      // As if the person pressed Cancel on the consent page: no code, the same state.
      redirect.url.searchParams.delete('code');
      redirect.url.searchParams.set('error', 'access_denied');
      redirect.url.searchParams.set('error_description', 'The person cancelled the sign-in.');
    }
    authorizeRequests.push({ query, cancelled, redirectedTo: redirect.url.href });
  });

  service.on('beforeTokenSigning', (token, req) => {
    // The access token of the code exchange carries `scope`; the ID token does not.
    const isIdToken = !('scope' in token.payload);
    Object.assign(token.payload, claims);
    if (isIdToken) {
      token.payload.aud = clientId;
      idTokens.push({ ...token.payload });
    }
  });

  service.on('beforeUserinfo', (response) => {
    response.body = { ...claims };
  });

  service.on('beforeResponse', (response, req) => {
    const body = { ...(req.body ?? {}) };
    const basic = basicCredentials(req.headers.authorization);
    tokenRequests.push({
      grantType: body.grant_type,
      code: body.code,
      redirectUri: body.redirect_uri,
      codeVerifier: body.code_verifier,
      authMethod: basic ? 'client_secret_basic' : body.client_secret !== undefined ? 'client_secret_post' : 'none',
      clientId: basic ? basic.clientId : body.client_id,
      clientSecret: basic ? basic.clientSecret : body.client_secret,
      statusCode: response.statusCode,
    });
  });

  let stopping = null;
  const stop = () => {
    stopping ??= (async () => {
      if (!server.listening) return;
      // Idle keep-alive connections are closed by Node; an active one could hold close() open.
      await Promise.race([
        server.stop(),
        new Promise((resolve) => setTimeout(resolve, STOP_TIMEOUT_MS).unref()),
      ]);
    })();
    return stopping;
  };

  return {
    issuerUrl,
    port,
    clientId,
    clientSecret,
    authorizeRequests,
    tokenRequests,
    idTokens,
    /** The claims of the tokens issued from now on (replaces the previous ones). */
    setUser(next) {
      claims = definedClaims(next);
    },
    /** The next /authorize redirects back with error=access_denied (and the state) instead of a code. */
    cancelNextAuthorization() {
      cancelNext = true;
    },
    /** Environment variables that configure the app for this provider. */
    serverEnv({ name } = {}) {
      return {
        MONKEYCI_OIDC_ISSUER: issuerUrl,
        MONKEYCI_OIDC_CLIENT_ID: clientId,
        MONKEYCI_OIDC_CLIENT_SECRET: clientSecret,
        ...(name === undefined ? {} : { MONKEYCI_OIDC_NAME: name }),
      };
    },
    stop,
  };
}
