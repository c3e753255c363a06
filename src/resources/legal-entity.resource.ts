import { ownedResource } from './owned';
import { attr, COUNTRY, REGISTRATION_NUMBER } from './values';

export const legalEntityResource = ownedResource('legal-entity', 'legal-entities', 'legal_entities', 'legalEntities', [
  attr('registrationNumber', { ...REGISTRATION_NUMBER }),
  attr('country', { ...COUNTRY }),
]);
