// GraphQL over HTTP: one POST with a JSON body per operation, to the same origin.

// Relative to this file (static/js/api.js), so the page works wherever accord is mounted.
export const GRAPHQL_URL = new URL("../../graphql", import.meta.url);

export class GraphQLRequestError extends Error {
  constructor(message, errors = []) {
    super(message);
    this.name = "GraphQLRequestError";
    this.errors = errors;
  }
}

/** Runs one query; resolves to `data`, rejects with the server's error messages. */
export async function request(document, variables = {}, { signal } = {}) {
  const response = await fetch(GRAPHQL_URL, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      Accept: "application/graphql-response+json, application/json;q=0.9",
    },
    body: JSON.stringify({ query: document, variables }),
    signal,
  });
  let body;
  try {
    body = await response.json();
  } catch {
    throw new GraphQLRequestError(`HTTP ${response.status}`);
  }
  if (body.errors?.length) {
    throw new GraphQLRequestError(body.errors.map((error) => error.message).join("; "), body.errors);
  }
  if (!response.ok || !body.data) throw new GraphQLRequestError(`HTTP ${response.status}`);
  return body.data;
}
