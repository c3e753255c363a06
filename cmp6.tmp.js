require('/work/main/node_modules/reflect-metadata');
const { Store } = require('/work/main/dist/src/data/store');
const { operationContext } = require('/work/main/dist/src/operations/context');
const { show } = require('/work/main/dist/src/operations/read');
const { parseQuery } = require('/work/main/dist/src/query/query.parser');
const { registry } = require('/work/main/dist/src/resources/registry');
const { loadConfig } = require('/work/main/dist/src/config/config');
(async () => {
  const store = await Store.open('sqlite:/tmp/x.sqlite');
  const cfg = loadConfig({ DATABASE_URL: 'sqlite:/tmp/x.sqlite' });
  const limits = { ...cfg.limits, cursorSecret: store.cursorSecret };
  const def = registry.get('client');
  const id = '6b11724b6cc1c2108439d637';
  let text, vals;
  const drv = store.db.driver; const orig = drv.connection.query;
  drv.connection.query = (s, v) => { text = s; vals = v; return orig(s, v); };
  const ctx = operationContext(store.session(store.system()), 100);
  await show(ctx, parseQuery(registry, def, '', 'single', limits), id);
  drv.connection.query = orig;
  const raw = drv.db.prepare(text);
  const tok = await store.insertToken('t', 'admin', null);
  const fns = {
    raw: () => raw.all(...vals),
    show: () => show(operationContext(store.session(store.system()), 100), parseQuery(registry, def, '', 'single', limits), id),
    auth: () => store.authenticate(tok.secret),
  };
  for (let r = 0; r < 3; r++) for (const [name, fn] of Object.entries(fns)) {
    const N = 3000; const t = process.hrtime.bigint();
    for (let i = 0; i < N; i++) await fn();
    console.log(name.padEnd(6), (Number(process.hrtime.bigint() - t) / 1e3 / N).toFixed(1), 'µs');
  }
  await store.deleteToken(tok.id);
  await store.close();
})();
