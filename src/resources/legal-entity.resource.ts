import { ownedResource } from './owned';
import { attr, parseCountry, parseRegistrationNumber } from './values';

export const legalEntityResource = ownedResource('legal-entity', 'legal-entities', 'legal_entities', 'legalEntities', [
  attr('registrationNumber', { parse: parseRegistrationNumber }),
  attr('country', { parse: parseCountry }),
]);
