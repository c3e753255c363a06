import { ownedResource } from './owned';
import { attr, parseCurrency } from './values';

export const reportingEntityResource = ownedResource('reporting-entity', 'reporting-entities', 'reporting_entities', 'reportingEntities', [
  attr('currency', { parse: parseCurrency }),
]);
