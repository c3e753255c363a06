import { Config } from './config/config';
import { Database } from './data/database';
import { ensureAdminToken, ensureFirstAdminToken } from './data/token-store';

/**
 * The first admin token: ADMIN_TOKEN becomes an admin token when it is not one yet; with no
 * admin token at all, one is made and its secret returned so the caller can print it once.
 * Both are race-free when several instances start together (one transaction each).
 */
export async function bootstrapAdminToken(config: Config, db: Database): Promise<string | undefined> {
  if (config.adminToken) {
    await ensureAdminToken(db, config.adminToken);
    return undefined;
  }
  return ensureFirstAdminToken(db);
}
