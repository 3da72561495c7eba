// A real, certified OpenID provider (the `oidc-provider` package) configured the
// way FranceConnect v2 behaves, for the tests only:
// - ID tokens and /userinfo answers signed (application/jwt), ES256 or RS256
//   per client, keys published at jwks_uri;
// - one scope per identity claim (given_name, family_name, birthdate, …), no
//   address / phone scopes and no preferred_username;
// - acr eidas1 / eidas2 / eidas3, the level reached depending on the account;
// - RP-initiated logout at end_session_endpoint;
// - a login page of its own (username and password, and a cancel button).
//
// Configuration comes from the environment (the pytest fixture sets it):
//   OIDC_TEST_CLIENTS   JSON list of clients (client_id, client_secret,
//                       redirect_uris, post_logout_redirect_uris, alg,
//                       unsigned_userinfo)
//   OIDC_TEST_ACCOUNTS  JSON object: username -> {password, level, claims}
// It listens on 127.0.0.1 at a free port and prints "READY <issuer>".
//
// Also served, for the tests of signature checks: /test/wrong-jwks, public
// keys with the same key ids as the real ones but other key material.

import http from 'node:http';
import { randomBytes, randomUUID } from 'node:crypto';

import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';

const LEVELS = ['eidas1', 'eidas2', 'eidas3'];
const IDENTITY_CLAIMS = [
  'given_name', 'family_name', 'birthdate', 'gender', 'birthplace', 'birthcountry', 'email',
];

const clients = JSON.parse(process.env.OIDC_TEST_CLIENTS || '[]');
const accounts = JSON.parse(process.env.OIDC_TEST_ACCOUNTS || '{}');

async function signingKey(alg, kid) {
  const { privateKey } = await generateKeyPair(alg, { extractable: true });
  return { ...(await exportJWK(privateKey)), kid, alg, use: 'sig' };
}

function publicPart(jwk) {
  const { d, p, q, dp, dq, qi, ...rest } = jwk;
  return rest;
}

const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title, body) {
  return `<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><title>${escape(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main><h1>${escape(title)}</h1>${body}</main></body></html>`;
}

function send(res, status, html) {
  res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8' });
  res.end(html);
}

async function readForm(req) {
  let raw = '';
  for await (const chunk of req) raw += chunk;
  return new URLSearchParams(raw);
}

function loginForm(uid, clientName, error = '') {
  const alert = error ? `<p role="alert" id="error">${escape(error)}</p>` : '';
  return page('Connexion au fournisseur d’identité de test', `
<p>Le service « ${escape(clientName)} » vous demande de vous identifier.</p>${alert}
<form method="post" action="/interaction/${uid}/login">
  <p><label for="username">Identifiant</label>
  <input id="username" name="username" autocomplete="username" required></p>
  <p><label for="password">Mot de passe</label>
  <input id="password" name="password" type="password" autocomplete="current-password" required></p>
  <p><button type="submit">Se connecter</button></p>
</form>
<form method="post" action="/interaction/${uid}/cancel">
  <p><button type="submit">Annuler et revenir au service</button></p>
</form>`);
}

// The level the account reaches: the highest requested level it can reach,
// else its own level (the client then has to refuse it).
function reachedLevel(account, requested) {
  const wanted = (requested || 'eidas1').split(' ').filter((v) => LEVELS.includes(v));
  const own = LEVELS.indexOf(account.level || 'eidas1');
  const reachable = wanted.filter((v) => LEVELS.indexOf(v) <= own);
  return reachable.length ? reachable.sort().at(-1) : LEVELS[own];
}

async function main() {
  const server = http.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${server.address().port}`;

  const keys = [await signingKey('ES256', 'es256-key'), await signingKey('RS256', 'rs256-key')];
  const wrongKeys = [await signingKey('ES256', 'es256-key'), await signingKey('RS256', 'rs256-key')];

  const claims = { openid: ['sub'] };
  for (const claim of IDENTITY_CLAIMS) claims[claim] = [claim];

  const provider = new Provider(issuer, {
    clients: clients.map((client) => ({
      client_id: client.client_id,
      client_secret: client.client_secret,
      client_name: client.client_name || client.client_id,
      redirect_uris: client.redirect_uris,
      post_logout_redirect_uris: client.post_logout_redirect_uris || [],
      response_types: ['code'],
      grant_types: ['authorization_code'],
      token_endpoint_auth_method: 'client_secret_post',
      id_token_signed_response_alg: client.alg || 'ES256',
      // FranceConnect v2 signs /userinfo; `unsigned_userinfo` plays a provider that does not.
      ...(client.unsigned_userinfo ? {} : { userinfo_signed_response_alg: client.alg || 'ES256' }),
    })),
    jwks: { keys },
    claims,
    acrValues: LEVELS,
    cookies: { keys: [randomBytes(32).toString('hex')] },
    pkce: { required: () => false },
    features: {
      devInteractions: { enabled: false },
      jwtUserinfo: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        // FranceConnect signs out without asking: submit the form at once
        // (the button is there for a browser without JavaScript).
        async logoutSource(ctx, form) {
          ctx.body = page('Déconnexion', `${form}
<button type="submit" form="op.logoutForm" value="yes" name="logout">Se déconnecter</button>
<script>document.getElementById('op.logoutForm').insertAdjacentHTML('beforeend',
'<input type="hidden" name="logout" value="yes">');document.getElementById('op.logoutForm').submit();</script>`);
        },
        async postLogoutSuccessSource(ctx) {
          ctx.body = page('Vous êtes déconnecté', '<p>Déconnexion réussie.</p>');
        },
      },
    },
    async renderError(ctx, out) {
      ctx.type = 'html';
      ctx.body = page('Erreur', `<pre id="error">${escape(JSON.stringify(out))}</pre>`);
    },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    async findAccount(ctx, sub) {
      const entry = Object.entries(accounts).find(([, a]) => a.claims.sub === sub);
      if (!entry) return undefined;
      return { accountId: sub, claims: async () => ({ ...entry[1].claims }) };
    },
    ttl: { Session: 3600, Interaction: 600, AccessToken: 600, AuthorizationCode: 60, Grant: 3600 },
  });

  const callback = provider.callback();

  async function interaction(req, res, uid, action) {
    const details = await provider.interactionDetails(req, res);
    const client = await provider.Client.find(details.params.client_id);
    const clientName = client?.clientName || details.params.client_id;
    if (action === 'cancel') {
      await provider.interactionFinished(req, res, {
        error: 'access_denied', error_description: 'L’utilisateur a annulé la connexion.',
      }, { mergeWithLastSubmission: false });
      return;
    }
    if (details.prompt.name === 'consent') {
      // The citizen's consent to share the claims is part of the login here.
      const { accountId } = details.session;
      const grant = details.grantId
        ? await provider.Grant.find(details.grantId)
        : new provider.Grant({ accountId, clientId: details.params.client_id });
      const missing = details.prompt.details;
      if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
      if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
      const grantId = await grant.save();
      await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
      return;
    }
    if (action !== 'login') {
      send(res, 200, loginForm(uid, clientName));
      return;
    }
    const form = await readForm(req);
    const account = accounts[form.get('username') || ''];
    if (!account || account.password !== form.get('password')) {
      send(res, 200, loginForm(uid, clientName, 'Identifiant ou mot de passe incorrect.'));
      return;
    }
    await provider.interactionFinished(req, res, {
      login: {
        accountId: account.claims.sub,
        acr: reachedLevel(account, details.params.acr_values),
        amr: ['pwd'],
      },
    }, { mergeWithLastSubmission: false });
  }

  server.on('request', async (req, res) => {
    const url = new URL(req.url, issuer);
    const match = url.pathname.match(/^\/interaction\/([^/]+)(?:\/(login|cancel))?$/);
    try {
      if (url.pathname === '/test/wrong-jwks') {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ keys: wrongKeys.map(publicPart) }));
      } else if (match) {
        await interaction(req, res, match[1], req.method === 'POST' ? match[2] : undefined);
      } else {
        callback(req, res);
      }
    } catch (error) {
      send(res, 400, page('Erreur', `<pre id="error">${escape(error.message)}</pre>`));
    }
  });

  process.stdout.write(`READY ${issuer} ${randomUUID()}\n`);
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
