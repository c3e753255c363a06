require('/work/main/node_modules/reflect-metadata');
const http = require('http');
const { Store } = require('/work/main/dist/src/data/store');
const { buildApp } = require('/work/main/dist/src/app');
const { loadConfig } = require('/work/main/dist/src/config/config');
const pino = require('/work/main/node_modules/pino');
(async () => {
  const cfg = loadConfig({ DATABASE_URL: 'sqlite:/tmp/x.sqlite', LOG_LEVEL: 'warn' });
  const store = await Store.open(cfg.databaseUrl);
  const tok = await store.insertToken('t', 'admin', null);
  const app = buildApp(cfg, store, pino({ level: 'warn' }));
  const server = http.createServer(app).listen(0);
  const port = server.address().port;
  const drv = store.db.driver;
  const get = (u) => new Promise((res) => http.get(`http://127.0.0.1:${port}${u}`, { headers: { Authorization: 'Bearer ' + tok.secret } }, (r) => { let n = 0; r.on('data', (c) => (n += c.length)); r.on('end', () => res(n)); }));
  const u = process.argv[2];
  for (let round = 0; round < 4; round++) {
    let sqlMs = 0;
    const orig = drv.connection.query;
    const per = new Map(); drv.connection.query = (s, v) => { const t = process.hrtime.bigint(); const r = orig(s, v); const d = Number(process.hrtime.bigint() - t) / 1e6; sqlMs += d; per.set(s.slice(0, 90), (per.get(s.slice(0, 90)) || 0) + d); return r; };
    const t = process.hrtime.bigint(); const N = 100; let bytes = 0;
    for (let i = 0; i < N; i++) bytes = await get(u);
    drv.connection.query = orig; if (round === 3) for (const [k, v] of per) console.log('   ', (v / 100).toFixed(3), k);
    console.log('round', round, (Number(process.hrtime.bigint() - t) / 1e6 / N).toFixed(2), 'ms/req; sql', (sqlMs / N).toFixed(2), 'ms/req; cache', drv.statements.size, 'bytes', bytes);
  }
  await store.deleteToken(tok.id);
  server.close(); await store.close();
})();
