// graphql-request against a live accord: a documented query, the language by header and by
// argument, a mutation with a token, and an error read from `extensions.code`.
//
//   node tests/clients/graphql-request.mjs HTTP_URL EDITOR_TOKEN
import { fail, finish, documented } from "./lib/strict-console.mjs";
// docs:begin graphql-request
import { ClientError, GraphQLClient, gql } from "graphql-request";

const [endpoint, token] = process.argv.slice(2); // http://127.0.0.1:8000/graphql, an editor token
const client = new GraphQLClient(endpoint);

// A query, with variables; the answer is the `data` of the response.
const { event } = await client.request(documented("event-page"), { slug: "1991-taiwan-joins-apec" });

// The language of the answer: Accept-Language for every field without `locale:`...
const chinese = new GraphQLClient(endpoint, { headers: { "Accept-Language": "zh-TW" } });
const { event: zh } = await chinese.request(gql`
  query ($slug: String!) { event(slug: $slug) { id title date { label } } }
`, { slug: "1991-taiwan-joins-apec" });

// Errors: a ClientError carrying the GraphQL response; branch on extensions.code.
let code = null;
try {
  await client.request(gql`{ events(first: 500) { totalCount } }`);
} catch (error) {
  if (!(error instanceof ClientError)) throw error;
  code = error.response.errors[0].extensions.code; // "BAD_USER_INPUT"
}

// Writes need a token.
const editor = new GraphQLClient(endpoint, { headers: { Authorization: `Bearer ${token}` } });
const { createEvent } = await editor.request(gql`
  mutation ($input: EventInput!) { createEvent(input: $input) { id slug status } }
`, { input: { title: { en: "Drafted from graphql-request" }, date: { year: 2026 }, kind: "OTHER" } });
// docs:end graphql-request

try {
  finish({ title: event.title, partners: event.partners.map((p) => p.slug), zh, code, created: createEvent });
} catch (error) {
  fail(error);
}
