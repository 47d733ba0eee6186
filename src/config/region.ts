import { ConfigError } from '../core/errors.ts';
import { REGIONS } from '../genesys/regions.ts';

/** A DNS name with at least one dot (`mypurecloud.ie`, `api.usw2.pure.cloud`). */
const HOSTNAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/i;

/**
 * Rejects a region that is neither an SDK key (`eu_west_1`) nor a domain, so a typo such as `nowhere` or `eu-west-1`
 * fails at start-up naming the known regions instead of becoming `https://api.nowhere`. Any dotted hostname is
 * accepted (a region newer than this list, a private gateway), and so is anything when both hosts are overridden
 * (GENESYS_API_BASE and GENESYS_LOGIN_BASE: the region is then unused).
 */
export function checkRegion(genesys: {
  region: string;
  apiBase?: string | undefined;
  loginBase?: string | undefined;
}): void {
  if (genesys.apiBase !== undefined && genesys.loginBase !== undefined) return;
  const region = genesys.region.trim();
  if (REGIONS[region] !== undefined || HOSTNAME.test(region)) return;
  throw new ConfigError(
    'genesys.region',
    `unknown region ${JSON.stringify(region)}; use a domain (${Object.values(REGIONS).join(', ')}) ` +
      `or an SDK key (${Object.keys(REGIONS).join(', ')}), or set GENESYS_API_BASE and GENESYS_LOGIN_BASE`,
  );
}
