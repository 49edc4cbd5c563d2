// Subscribes with Node's graphql-ws client and prints the first event (or the error) as JSON.
// argv: url, bearer token, the subscribe payload (JSON).
const { createClient } = require("graphql-ws");
const WebSocket = require("ws");

const [url, token, payload] = process.argv.slice(2);
const client = createClient({
  url,
  webSocketImpl: WebSocket,
  connectionParams: { Authorization: `Bearer ${token}` },
  retryAttempts: 0,
});
const report = (line) => process.stdout.write(JSON.stringify(line) + "\n");
const unsubscribe = client.subscribe(JSON.parse(payload), {
  next: (value) => {
    report({ next: value });
    unsubscribe();
    client.dispose();
  },
  error: (error) => {
    report({ error: Array.isArray(error) ? error : String(error && error.message ? error.message : error) });
    client.dispose();
  },
  complete: () => {},
});
