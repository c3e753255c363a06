import { Config } from '../config/config';
import { FILTER_OPERATORS } from '../query/ast';
import { Registry } from '../resources/registry';
import { commonSchemas } from './common.schemas';
import { sharedParameters, typeParameters } from './parameters';
import { resolveFlatMapping } from '../http/flat/flat.mapping';
import { flatPaths } from './flat';
import { healthPaths, jsonApiPaths } from './paths';
import { resourceSchemas } from './resource.schemas';
import { addCrossCuttingResponses, componentResponses } from './responses';
import { Obj } from './schema.helpers';

/**
 * The OpenAPI 3.1 document, derived from the resource registry at start (never written by
 * hand, so it cannot drift from what the routers, parsers and serializers do): every path and
 * method of /api/v2 and /api/clients, each parameter family with the filter operators each
 * attribute takes, request and response schemas per type, linkage, error and atomic documents.
 */

/** Drops undefined members (optional descriptions) so the document is plain JSON. */
function prune<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

export function buildOpenApi(registry: Registry, config: Config): Obj {
  const schemas: Record<string, Obj> = commonSchemas(registry);
  const parameters: Record<string, Obj> = sharedParameters(registry, config);
  for (const def of registry.resources) {
    Object.assign(schemas, resourceSchemas(def, registry, config.limits.maxLinkage));
    Object.assign(parameters, typeParameters(def, registry, config));
  }
  const paths: Record<string, Obj> = { ...jsonApiPaths(registry), ...flatPaths(resolveFlatMapping(registry), config), ...healthPaths() };
  addCrossCuttingResponses(paths);
  const { rateLimitPerMinute, authFailuresPerMinute, requestTimeoutMs, maxHeaderBytes, maxJsonDepth } = config.protection;
  return prune({
    openapi: '3.1.0',
    info: {
      title: 'Client-hierarchy service',
      version: '2.0.0',
      description: [
        'Clients form a forest (parent/children) and own legal entities, reporting entities and projects.',
        '`/api/v2` is JSON:API 1.1; `/api/clients` is the flat shape of the earlier product over the same model.',
        "Every `/api` route needs `Authorization: Bearer <token>`. Admin tokens read and write everything; a client token sees its client's subtree only (anything else answers 404) and may not write (403).",
        'Methods a route does not have answer 405 `method_not_allowed` with `Allow`; unknown paths answer 404 `not_found`.',
        `Filter operators: ${FILTER_OPERATORS.join(', ')} (contains, startsWith, endsWith on text only). Filters and sorts also reach attributes of to-one paths, e.g. \`filter[parent.name][contains]=acme\`, \`sort=parent.name\`.`,
        [
          `Limits: ${rateLimitPerMinute > 0 ? `${rateLimitPerMinute} requests a minute per token, then 429 \`rate_limited\` with Retry-After` : 'valid tokens are not rate limited'};`,
          `${authFailuresPerMinute > 0 ? `after ${authFailuresPerMinute} failed authentications (unknown or revoked tokens) in a minute from one address, requests with a token from it get 429 \`rate_limited\` until the minute ends` : 'failed authentications are not limited'};`,
          `to-many linkage shows at most ${config.limits.maxLinkage} identifiers per relationship (meta.count has the total, links.next the rest); relationship data in a body holds at most ${config.limits.maxRelationshipIds} identifiers (413 \`payload_too_large\`);`,
          `${requestTimeoutMs > 0 ? `a request not answered within ${requestTimeoutMs} ms gets 503 \`processing_timeout\` (408 \`request_timeout\` when it had not even arrived)` : 'no request timeout'};`,
          `request line and headers up to ${maxHeaderBytes} bytes (431 \`header_too_large\`); bodies nested at most ${maxJsonDepth} deep (400 \`invalid_document\`).`,
          'HTTP the server cannot parse gets 400 `malformed_request`. Those answers of the HTTP layer are JSON:API error documents on every path.',
        ].join(' '),
      ].join('\n\n'),
    },
    jsonSchemaDialect: 'https://spec.openapis.org/oas/3.1/dialect/base',
    tags: [...registry.resources.map((d) => ({ name: d.path })), { name: 'operations' }, { name: 'flat', description: '/api/clients' }, { name: 'meta' }],
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'An api-token secret (npm run token -- create ...).' } },
      schemas,
      parameters,
      responses: componentResponses(),
    },
  });
}
