import { Config } from './config/config';
import { Database } from './data/database';
import { adminTokenCount, insertToken, tokenExists } from './data/token-store';

/**
 * The first admin token: ADMIN_TOKEN becomes an admin token when it is not one yet; with no
 * admin token at all, one is made and its secret returned so the caller can print it once.
 */
export async function bootstrapAdminToken(config: Config, db: Database): Promise<string | undefined> {
  if (config.adminToken) {
    if (!(await tokenExists(db, config.adminToken))) await insertToken(db, 'ADMIN_TOKEN', 'admin', null, config.adminToken);
    return undefined;
  }
  if ((await adminTokenCount(db)) > 0) return undefined;
  const { secret } = await insertToken(db, 'first admin token', 'admin', null);
  return secret;
}
