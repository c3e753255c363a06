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
  const ctx = operationContext(store.session(store.system()), 100);
  let text, vals;
  const orig = store.db.driver.connection.query;
  store.db.driver.connection.query = (s, v) => { text = s; vals = v; return orig(s, v); };
  await show(ctx, parseQuery(registry, def, '', 'single', limits), '6b11724b6cc1c2108439d637');
  console.log(vals);
  const raw = store.db.driver.db;
  for (const [name, sql, args] of [['service', text, vals], ['json_each→=', text.replace(/t\."id" IN \(SELECT value FROM json_each\(\?\)\)/, 't."id" = ?'), [vals[vals.length-1] === undefined ? vals : null]]]) {
    if (!sql) continue;
    const st = raw.prepare(sql);
    const a = name === 'service' ? args : [...vals.slice(0, -1), JSON.parse(vals[vals.length - 1])[0]];
    for (let i = 0; i < 100; i++) st.all(...a);
    const N = 2000; const t = process.hrtime.bigint();
    for (let i = 0; i < N; i++) st.all(...a);
    console.log(name, (Number(process.hrtime.bigint() - t) / 1e3 / N).toFixed(1), 'µs');
  }
  console.log(raw.prepare('EXPLAIN QUERY PLAN ' + text).all(...vals).map((r) => r.detail).slice(0, 6).join('\n'));
  await store.close();
})();
