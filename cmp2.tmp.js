const Database = require('/work/main/node_modules/better-sqlite3');
const db = new Database('/tmp/x.sqlite');
const root = '6b11724b6cc1c2108439d637';
const link = (agg, rel, table, col) => `(SELECT ${agg} FROM (SELECT m."id" AS id FROM "${table}" m WHERE (m."${col}" = t."id") ORDER BY m."id" LIMIT 100) l) AS "__ids_${rel}", (SELECT COUNT(*) FROM "${table}" c WHERE (c."${col}" = t."id")) AS "__n_${rel}"`;
const rels = [['children','clients','parent_id'],['legalEntities','legal_entities','client_id'],['reportingEntities','reporting_entities','client_id'],['projects','projects','client_id']];
const cols = `t."id", t."version", t."name", t."email", t."slug", t."created_at", t."updated_at", t."parent_id"`;
const below = `WITH RECURSIVE below(id) AS (SELECT d0."id" FROM "clients" d0 WHERE d0."parent_id" = ? UNION ALL SELECT dn."id" FROM "clients" dn JOIN below b ON dn."parent_id" = b.id) SELECT id FROM below`;
const v = {
  svc: `SELECT ${cols}, ${rels.map(r => link('json_group_array(l.id ORDER BY l.id)', ...r)).join(', ')} FROM "clients" t  WHERE ((t."id" IN (${below}))) ORDER BY t."id" ASC LIMIT ? OFFSET ?`,
  noparen: `SELECT ${cols}, ${rels.map(r => link('json_group_array(l.id ORDER BY l.id)', ...r)).join(', ')} FROM "clients" t WHERE (t."id" IN (${below})) ORDER BY t."id" ASC LIMIT ? OFFSET ?`,
  count: `SELECT COUNT(*) AS n FROM "clients" t  WHERE ((t."id" IN (${below})))`,
  pageonly: `SELECT t.id FROM "clients" t WHERE (t."id" IN (${below})) ORDER BY t."id" ASC LIMIT ? OFFSET ?`,
};
for (const [name, sql] of Object.entries(v)) {
  const st = db.prepare(sql); const args = name === 'count' ? [root] : [root, 50, 0];
  for (let i = 0; i < 20; i++) st.all(...args);
  const N = 200; const t = process.hrtime.bigint();
  for (let i = 0; i < N; i++) st.all(...args);
  console.log(name.padEnd(10), (Number(process.hrtime.bigint() - t) / 1e3 / N).toFixed(0), 'µs');
}
console.log(db.prepare('EXPLAIN QUERY PLAN ' + v.pageonly).all(root, 50, 0).map(r => r.detail).join('\n'));
