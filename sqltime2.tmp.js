require('/work/main/node_modules/reflect-metadata');
const { Store } = require('/work/main/dist/src/data/store');
const { operationContext } = require('/work/main/dist/src/operations/context');
const { show, list } = require('/work/main/dist/src/operations/read');
const { parseQuery } = require('/work/main/dist/src/query/query.parser');
const { registry } = require('/work/main/dist/src/resources/registry');
const { loadConfig } = require('/work/main/dist/src/config/config');
(async () => {
  const store = await Store.open('sqlite:/tmp/x.sqlite');
  const cfg = loadConfig({ DATABASE_URL: 'sqlite:/tmp/x.sqlite' });
  const limits = { ...cfg.limits, cursorSecret: store.cursorSecret };
  const def = registry.get('client');
  const ctx = operationContext(store.session(store.system()), 100);
  const one = (await list(ctx, parseQuery(registry, def, 'page[size]=1', 'collection', limits))).records[0].id;
  const drv = store.db.driver;
  for (let round = 0; round < 8; round++) {
    const t = process.hrtime.bigint();
    for (let i = 0; i < 300; i++) await show(ctx, parseQuery(registry, def, '', 'single', limits), one);
    console.log(round, (Number(process.hrtime.bigint() - t) / 1e6 / 300).toFixed(3), 'ms', drv.statements.size);
  }
  await store.close();
})();
