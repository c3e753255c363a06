import { ownedResource } from './owned';
import { attr, CURRENCY } from './values';

export const reportingEntityResource = ownedResource('reporting-entity', 'reporting-entities', 'reporting_entities', 'reportingEntities', [attr('currency', { ...CURRENCY })]);
