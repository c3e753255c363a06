require('/work/main/node_modules/reflect-metadata');
const { Store } = require('/work/main/dist/src/data/store');
const { operationContext } = require('/work/main/dist/src/operations/context');
const { list } = require('/work/main/dist/src/operations/read');
const { parseQuery } = require('/work/main/dist/src/query/query.parser');
const { registry } = require('/work/main/dist/src/resources/registry');
const { loadConfig } = require('/work/main/dist/src/config/config');
const { DocumentWriter } = require('/work/main/dist/src/http/jsonapi/document.writer');
(async () => {
  const store = await Store.open('sqlite:/tmp/x.sqlite');
  const cfg = loadConfig({ DATABASE_URL: 'sqlite:/tmp/x.sqlite' });
  const limits = { ...cfg.limits, cursorSecret: store.cursorSecret };
  const def = registry.get('client');
  const ctx = operationContext(store.session(store.system()), 100);
  const spec = parseQuery(registry, def, process.argv[2] || 'page[size]=50&sort=name', 'collection', limits);
  const result = await list(ctx, spec);
  const base = 'http://127.0.0.1:3998/api/v2';
  const opts = { self: base + '/clients?x', meta: { page: { total: 1 } }, links: { first: 'a', last: 'b', prev: null, next: 'c' }, includeRequested: spec.include.length > 0 };
  const viaWriter = () => Buffer.from(new DocumentWriter(registry, base, spec.fields).document(result.records, result.graph, opts));
  // objects + JSON.stringify
  const viaObjects = () => {
    const res = (rec) => {
      const self = `${base}/${rec.def.path}/${rec.id}`;
      const attributes = {};
      for (const a of rec.def.attributes) attributes[a.name] = rec.row[a.column] ?? null;
      const relationships = {};
      for (const r of rec.def.relationships) {
        const link = rec.linkage.get(r.name);
        const t = registry.get(r.target).type;
        const o = { links: { self: `${self}/relationships/${r.name}`, related: `${self}/${r.name}` } };
        if (link.kind === 'to-one') o.data = link.id === null ? null : { type: t, id: link.id };
        else if (link.kind === 'to-many') { o.data = link.ids.map((id) => ({ type: t, id })); o.meta = { count: link.total }; }
        relationships[r.name] = o;
      }
      return { type: rec.def.type, id: rec.id, meta: { version: Number(rec.row.version) }, attributes, links: { self }, relationships };
    };
    const doc = { jsonapi: { version: '1.1' }, meta: opts.meta, links: { self: opts.self, ...opts.links }, data: result.records.map(res) };
    if (opts.includeRequested) doc.included = [...result.graph.included.values()].map(res);
    return Buffer.from(JSON.stringify(doc));
  };
  for (const [name, fn] of [['writer', viaWriter], ['objects', viaObjects], ['writer', viaWriter], ['objects', viaObjects]]) {
    for (let i = 0; i < 50; i++) fn();
    const N = 500; const t = process.hrtime.bigint(); let n = 0;
    for (let i = 0; i < N; i++) n = fn().length;
    console.log(name.padEnd(8), (Number(process.hrtime.bigint() - t) / 1e3 / N).toFixed(0), 'µs', n, 'bytes');
  }
  await store.close();
})();
