import { Config, ConfigError } from './config/config';
import { Store } from './data/store';

/**
 * The first admin token: ADMIN_TOKEN becomes an admin token when it is not one yet (and the
 * token an earlier, different value made is revoked); with no admin token at all, one is made
 * and its secret returned so the caller can print it once. Both are race-free when several
 * instances start together (one transaction each). An ADMIN_TOKEN that was revoked is a
 * configuration error: a revoked secret never becomes valid again.
 */
export async function bootstrapAdminToken(config: Config, store: Store): Promise<string | undefined> {
  if (config.adminToken) {
    if ((await store.ensureAdminToken(config.adminToken)) === 'revoked') {
      throw new ConfigError('ADMIN_TOKEN was revoked and can never be used again; set a new value');
    }
    return undefined;
  }
  return store.ensureFirstAdminToken();
}
