// GraphQL-over-HTTP conformance: the graphql-http server audit suite against a live URL.
// Usage: node tests/clients/http-audit.mjs http://127.0.0.1:PORT/graphql
// Prints one line per audit that is not "ok"; exits 0 only when every audit (MUST and SHOULD) is ok.
import { serverAudits } from 'graphql-http';

const url = process.argv[2];
if (!url) { console.error('usage: node http-audit.mjs URL'); process.exit(2); }
let ok = 0, warn = 0, error = 0;
for (const audit of serverAudits({ url })) {
  const result = await audit.fn();
  if (result.status === 'ok') { ok++; continue; }
  if (result.status === 'warn') warn++; else error++;
  console.log(`${result.status.toUpperCase()} ${audit.id} ${audit.name}: ${result.reason}`);
}
console.log(`graphql-http audits: ${ok} ok, ${warn} warn, ${error} error`);
process.exit(warn || error ? 1 : 0);
