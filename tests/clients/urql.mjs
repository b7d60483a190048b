// urql with graphcache (the keys of docs/api.md, the schema, relay pagination) and persisted
// queries (Apollo's protocol, hash-only GETs) against a live accord. Any warning fails the run:
// graphcache warns in development (NODE_ENV not "production") about every object it cannot key.
//
//   node tests/clients/urql.mjs HTTP_URL
//
// ACCORD_CLIENT_WITHOUT_POLICIES=1 leaves the keys out (the test checks that graphcache then warns).
import { fail, finish, documented } from "./lib/strict-console.mjs";
import { readFileSync } from "node:fs";
// docs:begin urql-client
import { Client, fetchExchange, gql } from "@urql/core";
import { cacheExchange } from "@urql/exchange-graphcache";
import { relayPagination } from "@urql/exchange-graphcache/extras";
import { persistedExchange } from "@urql/exchange-persisted";
import { buildSchema, introspectionFromSchema } from "graphql";
// docs:end urql-client

const [url] = process.argv.slice(2);
if (!url) fail("usage: urql.mjs HTTP_URL");
const sdl = readFileSync(new URL("../../schema.graphql", import.meta.url), "utf8");

// Every request the clients send, and what came back: the test looks for a hash-only GET answered
// with data (a persisted-query hit).
const sent = [];
async function recordingFetch(input, init) {
  const target = new URL(typeof input === "string" ? input : input.url);
  const response = await fetch(input, init);
  const body = await response.clone().json();
  sent.push({
    method: init?.method ?? "GET",
    hashOnly: target.searchParams.has("extensions") && !target.searchParams.has("query") && !init?.body,
    status: response.status,
    code: body.errors?.[0]?.extensions?.code ?? null,
    data: body.data != null,
  });
  return response;
}

function makeClient(withKeys) {
  // docs:begin urql-cache
  const noKey = () => null; // a value without an id: kept inside its parent
  const graphcache = cacheExchange({
    // The schema (an introspection result) lets graphcache match fragments on Node and
    // SearchResult exactly; schema.graphql is the one accord serves.
    schema: introspectionFromSchema(buildSchema(sdl)),
    keys: Object.fromEntries(
      [
        "PartialDate", "YearGroup", "PageInfo",
        "EventConnection", "EventEdge", "PartnerConnection", "PartnerEdge",
        "AgreementConnection", "AgreementEdge", "ExhibitConnection", "ExhibitEdge",
      ].map((type) => [type, noKey]),
    ),
    resolvers: { Query: { events: relayPagination() }, Partner: { events: relayPagination() } },
  });
  // docs:end urql-cache
  // docs:begin urql-persisted
  // Queries go as GET requests that carry only the query's SHA-256 hash; the first time, accord
  // answers PERSISTED_QUERY_NOT_FOUND and the exchange sends the query along with the hash.
  const persisted = persistedExchange({ preferGetForPersistedQueries: true });
  const exchanges = [graphcache, persisted, fetchExchange];
  // docs:end urql-persisted
  if (!withKeys) exchanges[0] = cacheExchange({ schema: introspectionFromSchema(buildSchema(sdl)) });
  // fetch: the global one, recording what was sent (see above).
  return new Client({ url, exchanges, fetch: recordingFetch, requestPolicy: "cache-first" });
}

try {
  const withKeys = process.env.ACCORD_CLIENT_WITHOUT_POLICIES !== "1";
  const summary = {};
  const first = makeClient(withKeys);
  const TIMELINE = gql(documented("timeline"));
  const timeline = await first.query(TIMELINE, { yearFrom: null, yearTo: null }).toPromise();
  if (timeline.error) throw timeline.error;
  summary.timelineYears = timeline.data.timeline.map((group) => group.year);
  summary.timelineEvents = timeline.data.timeline.reduce((sum, group) => sum + group.events.length, 0);
  const event = await first
    .query(gql(documented("event-page")), { slug: "2013-2015-aeo-mras-with-singapore-israel-korea" })
    .toPromise();
  if (event.error) throw event.error;
  summary.eventPartners = event.data.event.partners.map((partner) => partner.slug);
  const partner = await first
    .query(gql(documented("partner-page")), { slug: "wto", first: 3, after: null })
    .toPromise();
  if (partner.error) throw partner.error;
  summary.partnerAgreements = partner.data.partner.agreements.length;
  const search = await first.query(gql(documented("search")), { query: "海關", first: 5, locale: "ZH_TW" }).toPromise();
  if (search.error) throw search.error;
  summary.searchTypes = search.data.search.map((item) => item.__typename);
  // Pagination: the second page is appended to the first in graphcache.
  const PAGE = gql(documented("paginate-events"));
  const page1 = await first.query(PAGE, { first: 4 }).toPromise();
  const cursor = page1.data.events.pageInfo.endCursor;
  const page2 = await first.query(PAGE, { first: 4, after: cursor }).toPromise();
  summary.pagesMerged = page2.data.events.edges.map((edge) => edge.node.slug);
  // A second client, with an empty cache, sends the same query: now a hash-only GET hit.
  const requestsBefore = sent.length;
  const second = makeClient(withKeys);
  const again = await second.query(TIMELINE, { yearFrom: null, yearTo: null }).toPromise();
  if (again.error) throw again.error;
  summary.secondTimelineYears = again.data.timeline.map((group) => group.year);
  summary.requests = sent;
  summary.secondClientRequests = sent.slice(requestsBefore);
  finish(summary);
} catch (error) {
  fail(error);
}
