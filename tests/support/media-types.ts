/**
 * The media types the tests send and expect, taken from the service itself so that a test and
 * the code it checks cannot disagree on a constant: JSON:API, its atomic extension, and the flat
 * surface's plain JSON.
 */
export { ATOMIC_EXT, ATOMIC_MEDIA_TYPE, JSONAPI } from '../../src/http/middleware/negotiation';

/** The flat surface (/api/clients) sends and answers plain JSON. */
export const FLAT_JSON = 'application/json';
