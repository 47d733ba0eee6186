import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../../src/config/load.ts';
import { configError } from './config-fixtures.ts';

const load = (env: Record<string, string>) => loadConfig({}, { env });

describe('genesys.region', () => {
  it('accepts SDK keys, region domains and any dotted hostname', () => {
    for (const region of ['eu_west_1', 'mypurecloud.ie', 'api.mypurecloud.de', 'usw2.pure.cloud', 'newr1.pure.cloud']) {
      assert.equal(load({ GENESYS_REGION: region }).genesys.region, region);
    }
  });

  it('rejects an unknown word such as "nowhere" or a dashed SDK key, listing the known regions', () => {
    for (const region of ['nowhere', 'eu-west-1']) {
      const err = configError(() => load({ GENESYS_REGION: region }));
      assert.equal(err.field, 'genesys.region');
      assert.match(err.message, new RegExp(`unknown region "${region}"`));
      assert.match(err.message, /mypurecloud\.ie.*eu_west_1/s);
    }
  });

  it('ignores the region when both hosts are overridden (the emulator, a gateway)', () => {
    const env = {
      GENESYS_REGION: 'local',
      GENESYS_API_BASE: 'http://127.0.0.1:1',
      GENESYS_LOGIN_BASE: 'http://127.0.0.1:2',
    };
    assert.equal(load(env).genesys.region, 'local');
    assert.throws(() => load({ GENESYS_REGION: 'local', GENESYS_API_BASE: 'http://127.0.0.1:1' }), /unknown region/);
  });
});
