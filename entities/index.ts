import { ApiTokenEntity } from './api-token.entity';
import { ClientEntity } from './client.entity';
import { LegalEntityEntity } from './legal-entity.entity';
import { ProjectEntity } from './project.entity';
import { ReportingEntityEntity } from './reporting-entity.entity';
import { Initial1763884800000 } from './migrations/1763884800000-initial';
import { NameSearch1763971200000 } from './migrations/1763971200000-name-search';
import { Settings1764057600000 } from './migrations/1764057600000-settings';
import { NameSortIndex1764144000000 } from './migrations/1764144000000-name-sort-index';
import { PostgresNameOrder1764230400000 } from './migrations/1764230400000-postgres-name-order';
import { WideEmailKey1764316800000 } from './migrations/1764316800000-wide-email-key';
import { RevokedTokens1764403200000 } from './migrations/1764403200000-revoked-tokens';
import { RevokedTokenEntity } from './revoked-token.entity';
import { SettingEntity } from './setting.entity';

export const entities = [ClientEntity, LegalEntityEntity, ReportingEntityEntity, ProjectEntity, ApiTokenEntity, SettingEntity, RevokedTokenEntity];
export const migrations = [
  Initial1763884800000,
  NameSearch1763971200000,
  Settings1764057600000,
  NameSortIndex1764144000000,
  PostgresNameOrder1764230400000,
  WideEmailKey1764316800000,
  RevokedTokens1764403200000,
];
export { ApiTokenEntity, ClientEntity, LegalEntityEntity, ProjectEntity, ReportingEntityEntity, RevokedTokenEntity, SettingEntity };
