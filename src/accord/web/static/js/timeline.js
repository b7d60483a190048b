// The timeline page: events by year, a partner filter, search, an event dialog, two languages and
// milestones that appear as they are published. It talks to /graphql only (docs/frontend.md).

import { request, GRAPHQL_URL } from "./api.js";
import { LiveClient, webSocketUrl } from "./live.js";
import { API_LOCALE, LANGUAGES, STRINGS, URL_LANGUAGE, initialLanguage, languageFromUrl } from "./i18n.js";

// ---- the operations this page sends ------------------------------------------------------------

// Pictures: URLs without a format, so the server answers each browser in the best format its Accept
// header names (AVIF, WebP, else JPEG); srcset lists every width, and the browser picks by `sizes`.
const IMAGE_FIELDS = `fragment TimelineImage on Image {
  id url(width: 640) srcset alt(locale: $locale) credit width height dominantColor
}`;

const EVENT_FIELDS = `fragment TimelineEvent on Event {
  id slug title(locale: $locale) kind isMilestone
  date { year iso label(locale: $locale) }
  partners { slug name(locale: $locale) shortName }
  images { ...TimelineImage }
}
${IMAGE_FIELDS}`;

const EVENTS = `query TimelineEvents($filter: EventFilter, $after: String, $locale: Locale) {
  events(filter: $filter, first: 50, after: $after, orderBy: DATE_ASC) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { ...TimelineEvent } }
  }
}
${EVENT_FIELDS}`;

const PARTNERS = `query TimelinePartners($locale: Locale) {
  partners(first: 100) { edges { node { slug name(locale: $locale) shortName } } }
}`;

const EVENT = `query TimelineEventDetail($slug: String!, $locale: Locale) {
  event(slug: $slug) {
    slug title(locale: $locale) summary(locale: $locale) kind isMilestone tags
    date { iso label(locale: $locale) }
    places(locale: $locale)
    partners { slug name(locale: $locale) shortName }
    agreements {
      slug title(locale: $locale) kind
      signedOn { iso label(locale: $locale) }
      parties { slug name(locale: $locale) shortName }
    }
    images { ...TimelineImage }
    exhibits {
      slug title(locale: $locale) description(locale: $locale) kind imageUrl origin { name(locale: $locale) }
      images { ...TimelineImage }
    }
  }
}
${IMAGE_FIELDS}`;

// The same text for every visitor, so the server runs it once per milestone for all of them.
const MILESTONES = `subscription TimelineMilestones($partner: String, $locale: Locale) {
  milestoneAdded(partner: $partner) { ...TimelineEvent }
}
${EVENT_FIELDS}`;

// ---- state --------------------------------------------------------------------------------------

const params = new URLSearchParams(location.search);
const state = {
  lang: initialLanguage(
    readStored(),
    navigator.languages ?? [navigator.language],
    languageFromUrl(params.get("lang")),
  ),
  q: (params.get("q") ?? "").trim(),
  partner: params.get("partner") ?? "",
  events: [],
  total: 0,
  endCursor: null,
  hasNextPage: false,
  fresh: new Set(), // ids of milestones that arrived while the page was open
  openSlug: null,
  lastMilestone: null,
};
let listRequest = null; // AbortController of the list request in flight
let stopMilestones = () => {};

const $ = (selector) => document.querySelector(selector);
const ui = {
  form: $("#filters"),
  search: $("#search"),
  partner: $("#partner"),
  timeline: $("#timeline"),
  section: $(".timeline"),
  status: $("#result-status"),
  more: $(".more"),
  loadMore: $("#load-more"),
  announcer: $("#announcer"),
  banner: $("#new-banner"),
  bannerText: $("#new-banner-text"),
  bannerOpen: $("#new-banner-open"),
  live: $("#live-status"),
  dialog: $("#event-dialog"),
  dialogDate: $("#dialog-date"),
  dialogTitle: $("#dialog-title"),
  dialogContent: $("#dialog-content"),
};
const t = () => STRINGS[state.lang];
const locale = () => API_LOCALE[state.lang];
const live = new LiveClient(webSocketUrl(GRAPHQL_URL), onLiveState);

// ---- small DOM helper ---------------------------------------------------------------------------

/** h("p", {class: "x"}, "text", child): an element; text is always set as text, never as HTML. */
function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value == null) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? "" : value);
  }
  element.append(...children.flat(Infinity).filter((child) => child != null && child !== false));
  return element;
}

/**
 * A picture: lazy, in the size `sizes` says it is shown at (the browser takes the smallest variant of
 * `srcset` that fills it), with its width and height so the page does not move when it arrives, and
 * its dominant colour until then. Alt text in the page's language (the query asks for it).
 */
function picture(image, sizes, className) {
  const img = h("img", {
    class: className,
    src: image.url,
    srcset: image.srcset,
    sizes,
    width: image.width,
    height: image.height,
    alt: image.alt,
    loading: "lazy",
    decoding: "async",
  });
  img.style.backgroundColor = image.dominantColor; // through the CSSOM: the page allows no inline styles
  return img;
}

function figure(image, sizes) {
  return h("figure", { class: "picture" },
    picture(image, sizes, "picture__img"),
    image.credit && h("figcaption", { class: "picture__credit" }, t().credit(image.credit)),
  );
}

// Shown 6rem wide in the list; in the dialog, as wide as its body (44rem less 3rem of padding, or
// the window less the dialog's margins and padding on narrow screens).
const THUMBNAIL_SIZES = "6rem";
const DIALOG_SIZES = "(max-width: 46rem) calc(100vw - 5rem), 41rem";

// ---- language -----------------------------------------------------------------------------------

function readStored() {
  try {
    return localStorage.getItem("accord.lang");
  } catch {
    return null;
  }
}

function applyLanguage() {
  const strings = t();
  document.documentElement.lang = state.lang;
  document.title = strings.documentTitle;
  for (const element of document.querySelectorAll("[data-i18n]")) {
    element.textContent = strings[element.dataset.i18n];
  }
  for (const element of document.querySelectorAll("[data-i18n-label]")) {
    element.setAttribute("aria-label", strings[element.dataset.i18nLabel]);
  }
  for (const button of document.querySelectorAll("[data-lang]")) {
    button.setAttribute("aria-pressed", String(button.dataset.lang === state.lang));
  }
  onLiveState(ui.live.dataset.state);
}

async function setLanguage(lang) {
  if (!LANGUAGES.includes(lang) || lang === state.lang) return;
  state.lang = lang;
  ui.banner.hidden = true; // its text is in the other language
  try {
    localStorage.setItem("accord.lang", lang);
  } catch {
    // private mode: the choice lasts for this visit
  }
  applyLanguage();
  writeUrl();
  subscribeToMilestones();
  await Promise.all([loadPartners(), loadEvents()]);
  if (state.openSlug && ui.dialog.open) await showEvent(state.openSlug);
}

// ---- partners and events ------------------------------------------------------------------------

async function loadPartners() {
  try {
    const data = await request(PARTNERS, { locale: locale() });
    const collator = new Intl.Collator(state.lang);
    const partners = data.partners.edges.map((edge) => edge.node);
    partners.sort((a, b) => collator.compare(a.name, b.name));
    const options = partners.map((partner) =>
      h("option", { value: partner.slug }, partner.shortName && partner.shortName !== partner.name
        ? `${partner.name} (${partner.shortName})`
        : partner.name),
    );
    ui.partner.replaceChildren(h("option", { value: "", "data-i18n": "allPartners" }, t().allPartners), ...options);
    ui.partner.value = state.partner;
    if (ui.partner.value !== state.partner) state.partner = ""; // an unknown slug from the URL
  } catch (error) {
    console.error("partners", error);
  }
}

function currentFilter() {
  const filter = {};
  if (state.partner) filter.partner = state.partner;
  if (state.q) filter.text = state.q;
  return filter;
}

/** Loads the first page (or, with `more`, the next page) of the events that match the filters. */
async function loadEvents({ more = false } = {}) {
  listRequest?.abort();
  const controller = new AbortController();
  listRequest = controller;
  ui.section.setAttribute("aria-busy", "true");
  if (!more) ui.status.textContent = t().loading;
  try {
    const variables = { filter: currentFilter(), after: more ? state.endCursor : null, locale: locale() };
    const { events } = await request(EVENTS, variables, { signal: controller.signal });
    const nodes = events.edges.map((edge) => edge.node);
    state.events = more ? [...state.events, ...nodes] : nodes;
    state.total = events.totalCount;
    state.hasNextPage = events.pageInfo.hasNextPage;
    state.endCursor = events.pageInfo.endCursor;
    renderTimeline();
  } catch (error) {
    if (error.name === "AbortError") return;
    renderFailure(error);
  } finally {
    if (listRequest === controller) {
      listRequest = null;
      ui.section.setAttribute("aria-busy", "false");
    }
  }
}

function renderTimeline() {
  const strings = t();
  const focusedSlug = document.activeElement?.closest?.("[data-slug]")?.dataset.slug;
  const years = new Map();
  for (const event of state.events) {
    if (!years.has(event.date.year)) years.set(event.date.year, []);
    years.get(event.date.year).push(event);
  }
  const sections = [...years].map(([year, events]) =>
    h("section", { class: "year", "data-year": year, "aria-labelledby": `year-${year}` },
      h("h3", { class: "year__heading", id: `year-${year}` }, strings.year(year)),
      h("ol", { class: "year__events" }, events.map(renderEvent)),
    ),
  );
  ui.timeline.replaceChildren(...sections);
  ui.status.replaceChildren(
    state.events.length === 0
      ? strings.empty
      : state.events.length < state.total
        ? strings.countOf(state.events.length, state.total)
        : strings.count(state.total),
  );
  ui.more.hidden = !state.hasNextPage;
  if (focusedSlug) ui.timeline.querySelector(`[data-slug="${CSS.escape(focusedSlug)}"] .event__open`)?.focus();
}

function renderEvent(event) {
  const strings = t();
  const fresh = state.fresh.has(event.id);
  const partners = event.partners.map((partner) => partner.shortName || partner.name);
  const [first] = event.images ?? [];
  return h("li", { class: `event${event.isMilestone ? " event--milestone" : ""}${fresh ? " event--new" : ""}`, "data-slug": event.slug, "data-id": event.id },
    first && picture(first, THUMBNAIL_SIZES, "event__picture"),
    h("p", { class: "event__date" }, h("time", { datetime: event.date.iso }, event.date.label)),
    h("h4", { class: "event__title" },
      h("button", { type: "button", class: "event__open", "aria-haspopup": "dialog", onclick: (e) => openEvent(event.slug, e.currentTarget) }, event.title),
    ),
    h("p", { class: "event__meta" },
      h("span", { class: "event__kind" }, strings.eventKind[event.kind] ?? event.kind),
      event.isMilestone && h("span", { class: "badge badge--milestone" }, strings.milestone),
      fresh && h("span", { class: "badge badge--new" }, strings.new),
    ),
    partners.length > 0 && h("ul", { class: "event__partners", "aria-label": strings.partners }, partners.map((name) => h("li", {}, name))),
  );
}

function renderFailure(error) {
  ui.timeline.replaceChildren();
  ui.more.hidden = true;
  ui.status.replaceChildren(
    t().failed(error.message),
    " ",
    h("button", { type: "button", class: "button-secondary", onclick: () => loadEvents() }, t().retry),
  );
}

// ---- the event dialog ---------------------------------------------------------------------------

let opener = null;

async function openEvent(slug, from = null) {
  opener = from;
  state.openSlug = slug;
  writeUrl();
  ui.dialogDate.textContent = "";
  ui.dialogTitle.textContent = t().loading;
  ui.dialogContent.replaceChildren();
  if (!ui.dialog.open) ui.dialog.showModal();
  await showEvent(slug);
}

async function showEvent(slug) {
  const strings = t();
  ui.dialog.setAttribute("aria-busy", "true");
  let event;
  try {
    ({ event } = await request(EVENT, { slug, locale: locale() }));
  } catch (error) {
    ui.dialogTitle.textContent = strings.failed(error.message);
    return;
  } finally {
    ui.dialog.setAttribute("aria-busy", "false");
  }
  if (slug !== state.openSlug) return;
  if (!event) {
    ui.dialogTitle.textContent = strings.notFound;
    return;
  }
  ui.dialogDate.replaceChildren(
    h("time", { datetime: event.date.iso }, event.date.label),
    event.isMilestone ? h("span", { class: "badge badge--milestone" }, strings.milestone) : "",
  );
  ui.dialogTitle.textContent = event.title;
  const facts = [
    [strings.kind, strings.eventKind[event.kind] ?? event.kind],
    event.places.length > 0 && [strings.places, event.places.join(state.lang === "en" ? ", " : "、")],
    event.tags.length > 0 && [strings.tags, event.tags.join(", ")],
  ].filter(Boolean);
  ui.dialogContent.replaceChildren(
    ...event.images.map((image) => figure(image, DIALOG_SIZES)),
    event.summary ? h("p", { class: "event-dialog__summary" }, event.summary) : "",
    h("dl", { class: "facts" }, facts.map(([term, value]) => [h("dt", {}, term), h("dd", {}, value)])),
    part("partners", strings.partners, event.partners, (partner) =>
      h("li", {}, partner.name, partner.shortName && partner.shortName !== partner.name ? ` (${partner.shortName})` : ""),
    ),
    part("agreements", strings.agreements, event.agreements, (agreement) =>
      h("li", {},
        h("strong", {}, agreement.title),
        h("span", { class: "detail" },
          `${strings.agreementKind[agreement.kind] ?? agreement.kind} · `,
          agreement.signedOn ? strings.signed(agreement.signedOn.label) : strings.signedUnknown,
        ),
        agreement.parties.length > 0 && h("span", { class: "detail" },
          `${strings.parties}: ${agreement.parties.map((party) => party.shortName || party.name).join(", ")}`),
      ),
    ),
    part("exhibits", strings.exhibits, event.exhibits, (exhibit) =>
      h("li", {},
        h("strong", {}, exhibit.title),
        h("span", { class: "detail" }, strings.exhibitKind[exhibit.kind] ?? exhibit.kind,
          exhibit.origin ? ` · ${strings.origin}: ${exhibit.origin.name}` : ""),
        exhibit.description && h("span", { class: "detail" }, exhibit.description),
        ...exhibit.images.map((image) => figure(image, DIALOG_SIZES)),
        // A link, not an <img>: the image may live on another host, and the page loads nothing from one.
        exhibit.imageUrl && h("a", { href: exhibit.imageUrl, rel: "noopener noreferrer" }, strings.image),
      ),
    ),
  );
}

function part(name, heading, items, renderItem) {
  return h("section", { class: `event-dialog__part event-dialog__part--${name}`, "aria-labelledby": `dialog-${name}` },
    h("h3", { id: `dialog-${name}` }, heading),
    items.length > 0 ? h("ul", {}, items.map(renderItem)) : h("p", { class: "none" }, t().none),
  );
}

function closedDialog() {
  state.openSlug = null;
  writeUrl();
  const target = opener?.isConnected ? opener : document.getElementById("timeline-heading");
  opener = null;
  target?.focus();
}

// ---- live milestones ----------------------------------------------------------------------------

function subscribeToMilestones() {
  stopMilestones();
  const variables = { partner: state.partner || null, locale: locale() };
  stopMilestones = live.subscribe(() => ({ query: MILESTONES, variables }), {
    next: ({ data }) => data?.milestoneAdded && milestoneArrived(data.milestoneAdded),
    error: (errors) => console.error("milestoneAdded", errors),
  });
}

function milestoneArrived(event) {
  if (state.events.some((known) => known.id === event.id)) return;
  state.fresh.add(event.id);
  state.lastMilestone = event;
  // Read out by screen readers (a polite live region), and shown above the list with a way to open it.
  ui.announcer.textContent = t().newMilestone(event.title, event.date.label);
  ui.bannerText.textContent = ui.announcer.textContent;
  ui.banner.hidden = false;
  if (state.q) {
    loadEvents(); // the server decides whether it matches the search
    return;
  }
  // The list is in date order: put it after everything dated the same or earlier.
  const index = state.events.findIndex((known) => known.date.iso > event.date.iso);
  if (index === -1 && state.hasNextPage) {
    state.total += 1; // it belongs to a page not loaded yet
  } else {
    state.events.splice(index === -1 ? state.events.length : index, 0, event);
    state.total += 1;
  }
  renderTimeline();
}

function onLiveState(liveState, retry = false) {
  const strings = t();
  ui.live.dataset.state = liveState;
  ui.live.querySelector(".live-status__text").textContent =
    liveState === "live" ? strings.liveOn : liveState === "offline" ? strings.liveOff : strings.liveConnecting;
  // Back after a drop: what was published meanwhile is in the list once it is loaded again.
  if (liveState === "live" && retry) loadEvents();
}

// ---- the URL keeps the language, the filters and the open event, so a view can be shared ---------

function writeUrl() {
  const next = new URLSearchParams();
  next.set("lang", URL_LANGUAGE[state.lang]);
  if (state.q) next.set("q", state.q);
  if (state.partner) next.set("partner", state.partner);
  if (state.openSlug) next.set("event", state.openSlug);
  const query = next.toString();
  history.replaceState(null, "", query ? `?${query}` : location.pathname);
}

// ---- wiring -------------------------------------------------------------------------------------

let searchTimer = null;

function filtersChanged({ resubscribe = false } = {}) {
  clearTimeout(searchTimer);
  writeUrl();
  if (resubscribe) subscribeToMilestones();
  loadEvents();
}

ui.search.value = state.q;
ui.search.addEventListener("input", () => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(() => {
    const q = ui.search.value.trim();
    if (q === state.q) return;
    state.q = q;
    filtersChanged();
  }, 250);
});
ui.form.addEventListener("submit", (event) => {
  event.preventDefault();
  state.q = ui.search.value.trim();
  filtersChanged();
});
ui.form.addEventListener("reset", () => {
  state.q = "";
  state.partner = "";
  // After the browser has reset the fields.
  setTimeout(() => filtersChanged({ resubscribe: true }));
});
ui.partner.addEventListener("change", () => {
  state.partner = ui.partner.value;
  filtersChanged({ resubscribe: true });
});
ui.loadMore.addEventListener("click", () => loadEvents({ more: true }));
ui.bannerOpen.addEventListener("click", (event) => openEvent(state.lastMilestone.slug, event.currentTarget));
for (const button of document.querySelectorAll("[data-lang]")) {
  button.addEventListener("click", () => setLanguage(button.dataset.lang));
}
$("#dialog-close").addEventListener("click", () => ui.dialog.close());
ui.dialog.addEventListener("click", (event) => {
  if (event.target === ui.dialog) ui.dialog.close(); // a click on the backdrop
});
ui.dialog.addEventListener("close", closedDialog);

applyLanguage();
// The address names the language from the start (an event link is rewritten when it opens).
if (!params.get("event")) writeUrl();
subscribeToMilestones();
await Promise.all([loadPartners(), loadEvents()]);
const linked = params.get("event");
if (linked) openEvent(linked);
