/**
 * Genesys Cloud regions: SDK key → domain (genesys-api.md §4.1). Hosts are `api.<domain>`, `login.<domain>`;
 * the socket URL is always the channel's `connectUri`, never built here.
 */
export const REGIONS: Readonly<Record<string, string>> = {
  us_east_1: 'mypurecloud.com',
  eu_west_1: 'mypurecloud.ie',
  ap_southeast_2: 'mypurecloud.com.au',
  ap_northeast_1: 'mypurecloud.jp',
  eu_central_1: 'mypurecloud.de',
  us_west_2: 'usw2.pure.cloud',
  ca_central_1: 'cac1.pure.cloud',
  ap_northeast_2: 'apne2.pure.cloud',
  eu_west_2: 'euw2.pure.cloud',
  ap_south_1: 'aps1.pure.cloud',
  us_east_2: 'use2.us-gov-pure.cloud',
  sa_east_1: 'sae1.pure.cloud',
  me_central_1: 'mec1.pure.cloud',
  ap_northeast_3: 'apne3.pure.cloud',
  eu_central_2: 'euc2.pure.cloud',
  mx_central_1: 'mxc1.pure.cloud',
  ap_southeast_1: 'apse1.pure.cloud',
  eusc_de_east_1: 'edee1.eusc-pure.cloud',
};

export const DEFAULT_REGION = 'mypurecloud.com';

export interface Endpoints {
  /** e.g. `https://api.mypurecloud.com` (no trailing slash). */
  apiBase: string;
  /** e.g. `https://login.mypurecloud.com` (no trailing slash). */
  loginBase: string;
}

/**
 * Resolves the REST hosts from a region (a domain such as `mypurecloud.ie` or an SDK key such as `eu_west_1`)
 * and optional explicit base URLs, which win (emulator, proxies, gateways).
 */
export function resolveEndpoints(region: string | undefined, overrides: Partial<Endpoints> = {}): Endpoints {
  const input = (region ?? DEFAULT_REGION).trim();
  const domain = REGIONS[input] ?? input.replace(/^(api|login)\./, '');
  const strip = (url: string): string => url.replace(/\/+$/, '');
  return {
    apiBase: strip(overrides.apiBase ?? `https://api.${domain}`),
    loginBase: strip(overrides.loginBase ?? `https://login.${domain}`),
  };
}
