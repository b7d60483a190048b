// A small consumer of the types GraphQL Code Generator makes from docs/queries/ (npm run codegen),
// as docs/clients.md shows it. `npm run typecheck` runs tsc over it: it must type-check, and the
// lines marked as expected errors must really be errors (tsc fails on one that is not), so the
// types are proven to be precise, not `any`.
// docs:begin typed-consumer
import { request } from "graphql-request";
import { EventPageDocument, PaginateEventsDocument, type EventPageQuery } from "./generated/graphql";

/** The title of one event, or null when no published event has that slug. */
export async function eventTitle(endpoint: string, slug: string): Promise<string | null> {
  const data: EventPageQuery = await request(endpoint, EventPageDocument, { slug });
  return data.event?.title ?? null;
}

/** The slugs of the first page of events, oldest first. */
export async function firstPage(endpoint: string, first: number): Promise<string[]> {
  const data = await request(endpoint, PaginateEventsDocument, { first });
  return data.events.edges.map((edge) => edge.node.slug);
}

// docs:end typed-consumer

/** What the types refuse: every line below the @ts-expect-error comments is a type error. */
export async function mistakes(endpoint: string): Promise<void> {
  // @ts-expect-error: EventPage needs $slug
  await request(endpoint, EventPageDocument, {});
  // @ts-expect-error: $first is an Int
  await request(endpoint, PaginateEventsDocument, { first: "3" });
  const data = await request(endpoint, EventPageDocument, { slug: "2002-taiwan-joins-wto" });
  // @ts-expect-error: `event` is null for an unknown slug
  data.event.title.toUpperCase();
  // @ts-expect-error: EventPage does not select `status`
  void data.event?.status;
  // A kind is one of the schema's enum values, not any string.
  // @ts-expect-error: "PARTY" is not an EventKind
  const kind: NonNullable<EventPageQuery["event"]>["kind"] = "PARTY";
  void kind;
}
