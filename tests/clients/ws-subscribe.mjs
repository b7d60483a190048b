// A real graphql-transport-ws client (the graphql-ws library).
// Usage: node tests/clients/ws-subscribe.mjs WS_URL QUERY [COUNT] [TIMEOUT_MS] [VARIABLES_JSON] [HEADERS_JSON]
// Prints "ready" once connected, then each payload as one JSON line; exits 0 after COUNT payloads,
// 1 on error or timeout.
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const [url, query, count = '1', timeoutMs = '10000', variables = '{}'] = process.argv.slice(2);
if (!url || !query) { console.error('usage: node ws-subscribe.mjs WS_URL QUERY [COUNT] [TIMEOUT_MS] [VARIABLES_JSON]'); process.exit(2); }
const want = Number(count);
let got = 0;
const client = createClient({
  url, webSocketImpl: WebSocket, lazy: false, retryAttempts: 0,
  on: { connected: () => console.log('ready') },
});
const timer = setTimeout(() => { console.error(`timeout after ${got}/${want} payloads`); process.exit(1); }, Number(timeoutMs));
client.subscribe({ query, variables: JSON.parse(variables) }, {
  next: (payload) => {
    console.log(JSON.stringify(payload));
    if (++got >= want) { clearTimeout(timer); client.dispose(); process.exit(0); }
  },
  error: (err) => { console.error('error', JSON.stringify(err?.message ?? err)); process.exit(1); },
  complete: () => { if (got < want) { console.error(`completed after ${got}/${want} payloads`); process.exit(1); } },
});
