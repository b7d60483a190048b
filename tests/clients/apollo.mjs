// Apollo Client 4 against a live accord: InMemoryCache with the type policies of docs/api.md, the
// documented queries, fetchMore pagination, a mutation, and a GraphQLWsLink subscription that
// receives the milestone the mutation published. Run with `node --conditions=development` (the
// development build, which prints the cache's warnings); any warning fails the run.
//
//   node --conditions=development tests/clients/apollo.mjs HTTP_URL WS_URL EDITOR_TOKEN
//
// ACCORD_CLIENT_WITHOUT_POLICIES=1 builds the cache without the type policies (the test checks
// that Apollo then warns, so that a silent run means something).
import { fail, finish, documented, withTimeout } from "./lib/strict-console.mjs";
// docs:begin apollo-client
import { ApolloClient, ApolloLink, HttpLink, InMemoryCache, gql } from "@apollo/client";
import { GraphQLWsLink } from "@apollo/client/link/subscriptions";
import { getMainDefinition } from "@apollo/client/utilities";
import { loadDevMessages, loadErrorMessages } from "@apollo/client/dev";
import { createClient } from "graphql-ws";
import WebSocket from "ws"; // Node only: browsers have WebSocket
// docs:end apollo-client
// docs:begin apollo-cache
import { relayStylePagination } from "@apollo/client/utilities";

// The interface and the union of the schema, so that fragments on them match without guessing.
export const possibleTypes = {
  Node: ["Event", "Partner", "Agreement", "Exhibit"],
  SearchResult: ["Event", "Partner", "Agreement", "Exhibit"],
};

export const cache = new InMemoryCache({
  possibleTypes,
  typePolicies: {
    // Values without an id: kept inside their parent object, merged field by field.
    PartialDate: { keyFields: false, merge: true },
    YearGroup: { keyFields: false, merge: true },
    // Lists: pages fetched with `after` are appended (one list per filter and order).
    Query: { fields: { events: relayStylePagination(["filter", "orderBy"]) } },
    Partner: { fields: { events: relayStylePagination(["filter", "orderBy"]) } },
  },
});
// docs:end apollo-cache

const [httpUrl, wsUrl, token] = process.argv.slice(2);
if (!httpUrl || !wsUrl || !token) fail("usage: apollo.mjs HTTP_URL WS_URL EDITOR_TOKEN");

try {
  const withoutPolicies = process.env.ACCORD_CLIENT_WITHOUT_POLICIES === "1";
  // docs:begin apollo-link
  loadDevMessages(); // full warning texts in development builds
  loadErrorMessages();

  // Queries and mutations over HTTP, subscriptions over WebSocket (graphql-transport-ws).
  const http = new HttpLink({
    uri: httpUrl, // http://127.0.0.1:8000/graphql
    headers: { authorization: `Bearer ${token}` }, // only for writes; public pages send none
  });
  const ws = new GraphQLWsLink(createClient({ url: wsUrl, webSocketImpl: WebSocket }));
  const link = ApolloLink.split(
    ({ query }) => {
      const definition = getMainDefinition(query);
      return definition.kind === "OperationDefinition" && definition.operation === "subscription";
    },
    ws,
    http,
  );
  const client = new ApolloClient({
    link,
    cache: withoutPolicies ? new InMemoryCache({ possibleTypes }) : cache,
  });
  // docs:end apollo-link

  // The documented queries, in an order that makes a cache without policies replace date objects
  // (EventPage selects date { iso precision label }, PartnerPage date { label }).
  const summary = {};
  const eventPage = await client.query({
    query: gql(documented("event-page")),
    variables: { slug: "2012-cross-strait-customs-cooperation-arrangement-signing" },
  });
  summary.eventTitle = eventPage.data.event.title;
  const partnerPage = await client.query({
    query: gql(documented("partner-page")),
    variables: { slug: "taiwan-customs", first: 3, after: null },
  });
  summary.partnerEvents = partnerPage.data.partner.events.edges.map((edge) => edge.node.slug);
  const timeline = await client.query({ query: gql(documented("timeline")), variables: { yearFrom: 2012, yearTo: 2015 } });
  summary.timelineYears = timeline.data.timeline.map((group) => group.year);
  const search = await client.query({ query: gql(documented("search")), variables: { query: "APEC", first: 10, locale: null } });
  summary.searchTypes = search.data.search.map((item) => item.__typename);

  // docs:begin apollo-pagination
  const PAGE = gql(documented("paginate-events")); // docs/queries/paginate-events.graphql
  const watched = client.watchQuery({ query: PAGE, variables: { first: 3 } });
  const pages = []; // every complete result the watched query delivers
  const delivered = (count) =>
    new Promise((resolve, reject) => {
      const subscription = watched.subscribe({
        next: (result) => {
          if (result.dataState !== "complete") return;
          pages.push(result.data.events.edges.map((edge) => edge.node.slug));
          if (pages.length >= count) resolve(subscription);
        },
        error: reject,
      });
    });
  const firstDelivered = delivered(1);
  await firstDelivered;
  const endCursor = watched.getCurrentResult().data.events.pageInfo.endCursor;
  const more = await watched.fetchMore({ variables: { after: endCursor } });
  // With relayStylePagination the watched query now holds both pages, in order.
  // docs:end apollo-pagination
  await withTimeout(
    new Promise((resolve) => {
      const check = () => (pages.at(-1)?.length > 3 ? resolve() : setTimeout(check, 20));
      check();
    }),
    5000,
    "the merged pages",
  );
  summary.firstPage = pages[0];
  summary.fetchedMore = more.data.events.edges.map((edge) => edge.node.slug);
  summary.bothPages = pages.at(-1);
  summary.hasNextPage = watched.getCurrentResult().data.events.pageInfo.hasNextPage;

  // docs:begin apollo-subscription
  const MILESTONES = gql`
    subscription Milestones($tag: String) {
      milestoneAdded(tag: $tag) { id slug title date { iso label } partners { id slug name } }
    }
  `;
  const CREATE = gql`
    mutation CreateMilestone($input: EventInput!) {
      createEvent(input: $input) { id slug status isMilestone date { iso label } }
    }
  `;
  const received = new Promise((resolve, reject) => {
    const subscription = client.subscribe({ query: MILESTONES, variables: { tag: "apollo-client" } }).subscribe({
      next: ({ data }) => {
        subscription.unsubscribe();
        resolve(data.milestoneAdded);
      },
      error: reject,
    });
  });
  // docs:end apollo-subscription
  // The subscription is registered once the socket has sent it; the server acknowledges the
  // connection first, so wait for the WebSocket to be open and a moment for `subscribe` to travel.
  await new Promise((resolve) => setTimeout(resolve, 500));
  const created = await client.mutate({
    mutation: CREATE,
    variables: {
      input: {
        title: { en: "Published from Apollo Client", zhTw: "由 Apollo Client 發布" },
        date: { year: 2026, month: 3 },
        kind: "OTHER",
        isMilestone: true,
        status: "PUBLISHED",
        tags: ["apollo-client"],
      },
    },
  });
  const milestone = await withTimeout(received, 10000, "the milestone over GraphQLWsLink");
  summary.created = created.data.createEvent;
  summary.received = milestone;
  // The mutation's answer went into the normalized cache under its id.
  summary.cachedTitle = client.cache.readFragment({
    id: client.cache.identify({ __typename: "Event", id: created.data.createEvent.id }),
    fragment: gql`fragment CachedEvent on Event { slug }`,
  })?.slug;
  await client.clearStore();
  client.stop();
  await ws.client.dispose();
  finish(summary);
} catch (error) {
  fail(error);
}
