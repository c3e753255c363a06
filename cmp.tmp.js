require('/work/main/node_modules/reflect-metadata');
const { Store } = require('/work/main/dist/src/data/store');
const { operationContext } = require('/work/main/dist/src/operations/context');
const { list } = require('/work/main/dist/src/operations/read');
const { parseQuery } = require('/work/main/dist/src/query/query.parser');
const { registry } = require('/work/main/dist/src/resources/registry');
const { loadConfig } = require('/work/main/dist/src/config/config');
(async () => {
  const store = await Store.open('sqlite:/tmp/x.sqlite');
  const db = store.db; const seen = [];
  const cfg = loadConfig({ DATABASE_URL: 'sqlite:/tmp/x.sqlite' });
  const limits = { ...cfg.limits, cursorSecret: store.cursorSecret };
  const def = registry.get('client');
  const ctx = operationContext(store.session(store.system()), 100);
  const root = '6b11724b6cc1c2108439d637';
  db.counter.listener = (s) => seen.push(s);
  for (const q of (process.argv[2] ? [process.argv[2]] : ['page[size]=50&filter[descendantOf]=' + root, 'page[size]=50&sort=name'])) {
    seen.length = 0;
    await list(ctx, parseQuery(registry, def, q, 'collection', limits));
    const texts = [...seen];
    for (const s of texts) {
      const st = db.driver.statements.get(s);
      console.log(q, '\n  ', s.slice(0, 200), '...', s.slice(-300));
    }
    let t = process.hrtime.bigint(); const N = Number(process.argv[3] || 200);
    for (let i = 0; i < N; i++) await list(ctx, parseQuery(registry, def, q, 'collection', limits));
    console.log('  op', (Number(process.hrtime.bigint() - t) / 1e6 / N).toFixed(2), 'ms');
  }
  await store.close();
})();
