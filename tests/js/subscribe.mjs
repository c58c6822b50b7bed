// Runs one operation with the graphql-ws client and prints each result as a JSON line.
// Usage: node subscribe.mjs URL TOKEN QUERY VARIABLES_JSON COUNT
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const [url, token, query, variables, count] = process.argv.slice(2);
const client = createClient({
  url,
  webSocketImpl: WebSocket,
  connectionParams: { authorization: `Bearer ${token}` },
  retryAttempts: 0,
  on: { connected: () => process.stdout.write(JSON.stringify({ connected: true }) + '\n') },
});
let seen = 0;
const subscription = client.iterate({ query, variables: JSON.parse(variables) });
try {
  for await (const result of subscription) {
    process.stdout.write(JSON.stringify(result) + '\n');
    seen += 1;
    if (seen >= Number(count)) break;
  }
  process.stdout.write(JSON.stringify({ done: true }) + '\n');
} catch (error) {
  process.stdout.write(JSON.stringify({ failed: String(error?.reason ?? error?.message ?? error) }) + '\n');
  process.exitCode = 1;
} finally {
  await client.dispose();
}
