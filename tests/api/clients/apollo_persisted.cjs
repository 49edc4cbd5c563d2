// Runs operations through Apollo Client's persisted-query link (sha256 from node:crypto) and
// prints, per operation, what came back and every request the link made, as JSON.
// argv: url, bearer token ("" for none), the steps (JSON: [{text, variables, get}]).
const { createHash } = require("node:crypto");
const { ApolloClient, HttpLink, InMemoryCache, gql } = require("@apollo/client/core");
const { createPersistedQueryLink } = require("@apollo/client/link/persisted-queries");

const [url, token, steps] = process.argv.slice(2);
const sha256 = (text) => createHash("sha256").update(text).digest("hex");

async function run(step) {
  const requests = [];
  const fetchAndRecord = async (uri, options) => {
    const body = options.body ? JSON.parse(options.body) : null;
    requests.push({
      method: options.method,
      url: String(uri),
      accept: options.headers.accept,
      query: body ? body.query || null : new URL(String(uri)).searchParams.get("query"),
      extensions: body
        ? body.extensions || null
        : JSON.parse(new URL(String(uri)).searchParams.get("extensions") || "null"),
    });
    return fetch(uri, options);
  };
  const link = createPersistedQueryLink({ sha256, useGETForHashedQueries: Boolean(step.get) }).concat(
    new HttpLink({
      uri: url,
      fetch: fetchAndRecord,
      headers: token ? { authorization: `Bearer ${token}` } : {},
    }),
  );
  const client = new ApolloClient({ link, cache: new InMemoryCache() });
  const document = gql(step.text);
  const mutation = document.definitions.some((d) => d.operation === "mutation");
  try {
    const result = mutation
      ? await client.mutate({ mutation: document, variables: step.variables })
      : await client.query({ query: document, variables: step.variables, fetchPolicy: "no-cache" });
    return { data: result.data, errors: result.errors || null, requests };
  } catch (error) {
    return { data: null, errors: error.graphQLErrors || [String(error)], requests };
  } finally {
    client.stop();
  }
}

(async () => {
  const results = [];
  for (const step of JSON.parse(steps)) results.push(await run(step));
  process.stdout.write(JSON.stringify(results) + "\n");
})();
