import { ApiTokenEntity } from './api-token.entity';
import { ClientEntity } from './client.entity';
import { LegalEntityEntity } from './legal-entity.entity';
import { ProjectEntity } from './project.entity';
import { ReportingEntityEntity } from './reporting-entity.entity';
import { Initial1763884800000 } from './migrations/1763884800000-initial';
import { NameSearch1763971200000 } from './migrations/1763971200000-name-search';

export const entities = [ClientEntity, LegalEntityEntity, ReportingEntityEntity, ProjectEntity, ApiTokenEntity];
export const migrations = [Initial1763884800000, NameSearch1763971200000];
export { ApiTokenEntity, ClientEntity, LegalEntityEntity, ProjectEntity, ReportingEntityEntity };
