import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Clock } from '../../core/clock.ts';
import { FakeHttpError } from './fake-http.ts';
import type { ServiceNowFakeOptions } from './fake-options.ts';

interface IssuedToken {
  user: string;
  expiresAt: number;
}

/** The body ServiceNow's /oauth_token.do returns for any rejected grant (it does not say which part was wrong). */
export const OAUTH_DENIED = { error_description: 'access_denied', error: 'server_error' };

/** Basic and Bearer authentication plus the OAuth token endpoint. */
export class FakeAuth {
  private readonly users: Record<string, string>;
  private readonly clients: NonNullable<ServiceNowFakeOptions['oauthClients']>;
  private readonly tokenTtlS: number;
  private accessTokens = new Map<string, IssuedToken>();
  private readonly refreshTokens = new Map<string, string>();

  constructor(
    options: ServiceNowFakeOptions,
    private readonly clock: Clock,
  ) {
    // A copy: setUser must not write into the caller's options.
    this.users = { ...(options.users ?? { admin: 'admin' }) };
    this.clients = options.oauthClients ?? {};
    this.tokenTtlS = options.tokenTtlS ?? 1799;
  }

  setUser(name: string, password: string): void {
    this.users[name] = password;
  }

  /** The authenticated user, or throws the 401 ServiceNow sends. */
  authenticate(req: IncomingMessage): string {
    const header = req.headers.authorization ?? '';
    const [scheme, value = ''] = header.split(' ', 2);
    let user: string | undefined;
    if (scheme?.toLowerCase() === 'basic') {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      const name = decoded.slice(0, colon);
      if (colon > 0 && this.users[name] !== undefined && this.users[name] === decoded.slice(colon + 1)) user = name;
    } else if (scheme?.toLowerCase() === 'bearer') {
      const token = this.accessTokens.get(value);
      if (token && this.clock.now() < token.expiresAt) user = token.user;
    }
    if (user === undefined) {
      throw new FakeHttpError(401, 'User Not Authenticated', 'Required to provide Auth information', {
        'www-authenticate': 'BASIC realm="Service-now"',
      });
    }
    return user;
  }

  /** Handles a form-encoded `/oauth_token.do` body: the token response, or undefined for "access denied". */
  grant(form: URLSearchParams): Record<string, string | number> | undefined {
    const client = this.clients[form.get('client_id') ?? ''];
    if (!client || client.secret !== form.get('client_secret')) return undefined;
    const user = this.grantUser(form, client.clientCredentialsUser);
    if (user === undefined) return undefined;
    const accessToken = randomBytes(24).toString('base64url');
    const refreshToken = randomBytes(24).toString('base64url');
    this.accessTokens.set(accessToken, { user, expiresAt: this.clock.now() + this.tokenTtlS * 1000 });
    this.refreshTokens.set(refreshToken, user);
    return {
      access_token: accessToken,
      refresh_token: refreshToken,
      scope: 'useraccount',
      token_type: 'Bearer',
      expires_in: this.tokenTtlS,
    };
  }

  revokeAll(): void {
    this.accessTokens = new Map();
  }

  private grantUser(form: URLSearchParams, clientCredentialsUser: string | undefined): string | undefined {
    switch (form.get('grant_type') ?? '') {
      case 'password': {
        const name = form.get('username') ?? '';
        const password = this.users[name];
        return password !== undefined && password === form.get('password') ? name : undefined;
      }
      case 'client_credentials':
        return clientCredentialsUser;
      case 'refresh_token':
        return this.refreshTokens.get(form.get('refresh_token') ?? '');
      default:
        return undefined;
    }
  }
}
