// Runs the graphql-http GraphQL-over-HTTP audit against a server and prints one JSON result list.
import { auditServer } from 'graphql-http';

const url = process.argv[2];
const results = await auditServer({ url });
const report = [];
for (const result of results) {
  const entry = { id: result.id, name: result.name, status: result.status };
  if (result.status !== 'ok') {
    entry.reason = result.reason;
    entry.httpStatus = result.response.status;
    entry.body = await result.response.text().catch(() => null);
  }
  report.push(entry);
}
process.stdout.write(JSON.stringify(report));
