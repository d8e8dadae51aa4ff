import { createPrivateKey, createSign, type KeyObject } from 'node:crypto';
import * as v from '../../schema/valibot';
import { failureFor, type GithubFetch, unexpectedBody } from './api';

/** Parses the App's PEM private key once, so a bad key fails when the adapter is built, not per build. */
export function loadAppPrivateKey(pem: string): KeyObject {
  try {
    return createPrivateKey(pem);
  } catch (error) {
    // The key itself is never repeated; node's error only names the decoder step that failed.
    throw new Error(
      'GitHub App privateKey is not a PEM private key: use the .pem file GitHub generated for the App',
      {
        cause: error,
      },
    );
  }
}

const base64url = (value: string | Buffer): string => Buffer.from(value).toString('base64url');

/**
 * An App JWT as https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/generating-a-json-web-token-jwt-for-a-github-app
 * describes: RS256, `iat` 60 s in the past against clock drift, `exp` at most 10 minutes ahead
 * (9 here, for the same reason), `iss` the App id (a number when it is one) or client id.
 */
export function signAppJwt(appId: string, key: KeyObject, nowMs: number): string {
  const nowSeconds = Math.floor(nowMs / 1000);
  const header = base64url(JSON.stringify({ alg: 'RS256', typ: 'JWT' }));
  const iss = /^\d+$/.test(appId) ? Number(appId) : appId;
  const payload = base64url(JSON.stringify({ iat: nowSeconds - 60, exp: nowSeconds + 9 * 60, iss }));
  const signature = createSign('RSA-SHA256').update(`${header}.${payload}`).sign(key);
  return `${header}.${payload}.${base64url(signature)}`;
}

export interface AppAuthSettings {
  readonly appId: string;
  readonly privateKey: KeyObject;
  /** Used when the webhook did not say which installation sent it. */
  readonly installationId?: number;
  readonly fetch: GithubFetch;
  readonly now: () => number;
}

export interface InstallationTarget {
  readonly owner: string;
  readonly repo: string;
  readonly installationId?: number;
}

export interface InstallationTokens {
  /** A current installation access token for the target, fetched or from the cache. */
  tokenFor(target: InstallationTarget): Promise<string>;
  /**
   * The installation `tokenFor` would use for the target; the poller puts it on the events it makes,
   * as an App's webhook carries the installation that sent it.
   */
  installationIdFor(target: InstallationTarget): Promise<number>;
}

interface CachedToken {
  readonly token: string;
  readonly refreshAtMs: number;
}

// Refreshed this long before GitHub's expires_at, so a token never expires in the middle of a build step.
const refreshMarginMs = 5 * 60 * 1000;

const installationSchema = v.object({ id: v.pipe(v.int(), v.gtValue(0)) });
const accessTokenSchema = v.object({
  token: v.pipe(v.string(), v.minLength(1)),
  expires_at: v.isoDateTime(),
});

/**
 * Installation access tokens, cached per installation id until 5 minutes before they expire
 * (https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/generating-an-installation-access-token-for-a-github-app).
 */
export function createInstallationTokens(settings: AppAuthSettings): InstallationTokens {
  const tokens = new Map<number, Promise<CachedToken>>();
  const installations = new Map<string, number>();

  /**
   * Callers that find a request in flight share its outcome, failure included; a failed request is
   * dropped from the cache so the next caller asks again.
   */
  async function installationToken(installationId: number): Promise<string> {
    const pending = tokens.get(installationId);
    if (pending !== undefined) {
      const cached = await pending;
      if (cached.refreshAtMs > settings.now()) return cached.token;
      if (tokens.get(installationId) === pending) tokens.delete(installationId);
      return installationToken(installationId);
    }
    // Set before any await, so concurrent callers find it.
    const fresh = requestToken(installationId);
    tokens.set(installationId, fresh);
    fresh.catch(() => {
      if (tokens.get(installationId) === fresh) tokens.delete(installationId);
    });
    return (await fresh).token;
  }

  async function requestToken(installationId: number): Promise<CachedToken> {
    const purpose = `create an access token for GitHub App installation ${installationId}`;
    const response = await settings.fetch({
      method: 'POST',
      path: `/app/installations/${installationId}/access_tokens`,
      credential: signAppJwt(settings.appId, settings.privateKey, settings.now()),
      purpose,
    });
    if (response.status !== 201) {
      throw failureFor(response, purpose, settings.now(), {
        forbidden: 'the installation is suspended or the App may not create tokens for it',
        notFound: `the installation does not exist or does not belong to App ${settings.appId}`,
      });
    }
    const parsed = v.safeParse(accessTokenSchema, response.body);
    if (!parsed.success) throw unexpectedBody(purpose, response.status, parsed.issues);
    return {
      token: parsed.output.token,
      refreshAtMs: Date.parse(parsed.output.expires_at) - refreshMarginMs,
    };
  }

  /** https://docs.github.com/en/rest/apps/apps#get-a-repository-installation-for-the-authenticated-app */
  async function findInstallation(owner: string, repo: string): Promise<number> {
    const key = `${owner}/${repo}`.toLowerCase();
    const known = installations.get(key);
    if (known !== undefined) return known;
    const purpose = `find the GitHub App installation for ${owner}/${repo}`;
    const response = await settings.fetch({
      method: 'GET',
      path: `/repos/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}/installation`,
      credential: signAppJwt(settings.appId, settings.privateKey, settings.now()),
      purpose,
    });
    if (response.status !== 200) {
      throw failureFor(response, purpose, settings.now(), {
        notFound: `App ${settings.appId} is not installed on ${owner}/${repo}: install it on the repository or its organization`,
      });
    }
    const parsed = v.safeParse(installationSchema, response.body);
    if (!parsed.success) throw unexpectedBody(purpose, response.status, parsed.issues);
    installations.set(key, parsed.output.id);
    return parsed.output.id;
  }

  // The webhook's installation is the one that sent the event, so it wins over the configured one.
  async function installationIdFor(target: InstallationTarget): Promise<number> {
    return (
      target.installationId ?? settings.installationId ?? (await findInstallation(target.owner, target.repo))
    );
  }

  return {
    installationIdFor,
    async tokenFor(target) {
      return installationToken(await installationIdFor(target));
    },
  };
}
