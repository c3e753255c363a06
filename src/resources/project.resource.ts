import { ownedResource } from './owned';

export const projectResource = ownedResource('project', 'projects', 'projects', 'projects', []);
