import { RefreshingTokenProvider } from '../auth/refreshing-token-provider.ts';
import { resolveEndpoints, type Endpoints } from '../genesys/regions.ts';
import type { NotificationClientOptions } from './options.ts';

/** `NotificationClient.clientCredentials` options: the client's own options plus one OAuth client and its region. */
export interface ClientCredentialsOptions extends Omit<NotificationClientOptions, 'api' | 'apiBase' | 'tokens'> {
  clientId: string;
  clientSecret: string;
  // The three hosts also accept `undefined`, so that `process.env.X` can be passed as it is.
  /** A Genesys Cloud region (`mypurecloud.ie`) or SDK region key (`eu_west_1`). @default 'mypurecloud.com' */
  region?: string | undefined;
  /** Overrides the region's API host (a proxy, the emulator's `apiBase`). */
  apiBase?: string | undefined;
  /** Overrides the region's login host (a proxy, the emulator's `loginBase`). */
  loginBase?: string | undefined;
}

/**
 * The token provider and client options for a client that owns its credentials. The provider is returned apart so
 * that the client can close it: its proactive refresh timer would otherwise keep the process alive.
 */
export function clientCredentialsParts(options: ClientCredentialsOptions): {
  tokens: RefreshingTokenProvider;
  clientOptions: NotificationClientOptions;
} {
  const { clientId, clientSecret, region, apiBase, loginBase, ...clientOptions } = options;
  const overrides: Partial<Endpoints> = {
    ...(apiBase === undefined ? {} : { apiBase }),
    ...(loginBase === undefined ? {} : { loginBase }),
  };
  const endpoints = resolveEndpoints(region, overrides);
  const tokens = RefreshingTokenProvider.clientCredentials({
    loginBase: endpoints.loginBase,
    clientId,
    clientSecret,
    ...(clientOptions.clock === undefined ? {} : { clock: clientOptions.clock }),
  });
  return { tokens, clientOptions: { ...clientOptions, apiBase: endpoints.apiBase, tokens } };
}
