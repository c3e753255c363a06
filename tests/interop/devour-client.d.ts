/**
 * devour-client 3.2 ships no type declarations; this is the part of its public API (README and
 * lib/index.js) the interop tests use. Resources come back deserialized as loose objects, so
 * they are typed by the tests that read them.
 */
declare module 'devour-client' {
  type AxiosStatic = import('axios').AxiosStatic;

  namespace JsonApi {
    interface RelationshipDefinition {
      jsonApi: 'hasOne' | 'hasMany';
      type?: string;
    }

    interface ModelOptions {
      collectionPath?: string;
      readOnly?: string[];
      type?: string;
    }

    /** A JSON:API error object as handed to `errorBuilder`. */
    interface ServerError {
      status?: string;
      code?: string;
      title?: string;
      detail?: string;
      source?: { pointer?: string; parameter?: string; header?: string };
      meta?: Record<string, unknown>;
    }

    interface Options {
      apiUrl: string;
      bearer?: string | null;
      pluralize?: false | ((s: string) => string);
      logger?: boolean;
      trailingSlash?: boolean | { collection?: boolean; resource?: boolean };
      disableErrorsForMissingResourceDefinitions?: boolean;
      /** Shapes each error object of a failed response (default: `{ title, detail }`). */
      errorBuilder?: (error: ServerError) => unknown;
    }

    /** What every call resolves to. */
    interface Response<T> {
      data: T;
      errors?: unknown;
      meta?: Record<string, any>;
      links?: Record<string, any>;
      document: any;
    }

    interface Middleware {
      name: string;
      req?: (payload: any) => any;
      res?: (payload: any) => any;
      error?: (payload: any) => any;
    }
  }

  class JsonApi {
    constructor(options: JsonApi.Options);
    axios: AxiosStatic;
    headers: Record<string, string>;
    apiUrl: string;
    bearer: string | null;
    define(modelName: string, attributes: Record<string, unknown>, options?: JsonApi.ModelOptions): void;
    find<T = any>(modelName: string, id: string, params?: Record<string, unknown>): Promise<JsonApi.Response<T>>;
    findAll<T = any>(modelName: string, params?: Record<string, unknown>): Promise<JsonApi.Response<T>>;
    create<T = any>(modelName: string, payload: Record<string, unknown>, params?: Record<string, unknown>, meta?: Record<string, unknown>): Promise<JsonApi.Response<T>>;
    update<T = any>(modelName: string, payload: Record<string, unknown> & { id: string }, params?: Record<string, unknown>, meta?: Record<string, unknown>): Promise<JsonApi.Response<T>>;
    destroy(modelName: string, id: string): Promise<JsonApi.Response<null>>;
    request<T = any>(url: string, method?: string, params?: Record<string, unknown>, data?: Record<string, unknown>): Promise<JsonApi.Response<T>>;
    one(modelName: string, id: string): this;
    all(modelName: string): this;
    relationships(relationshipName?: string): this;
    get<T = any>(params?: Record<string, unknown>): Promise<JsonApi.Response<T>>;
    post<T = any>(payload: unknown, params?: Record<string, unknown>, meta?: Record<string, unknown>): Promise<JsonApi.Response<T>>;
    patch<T = any>(payload: unknown, params?: Record<string, unknown>, meta?: Record<string, unknown>): Promise<JsonApi.Response<T>>;
    insertMiddlewareBefore(name: string, middleware: JsonApi.Middleware): void;
    insertMiddlewareAfter(name: string, middleware: JsonApi.Middleware): void;
  }

  export = JsonApi;
}
