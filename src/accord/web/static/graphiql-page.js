// Starts GraphiQL (the vendored UMD build: globals React, ReactDOM, GraphiQL, GraphiQLPluginExplorer)
// on this server's /graphql, with the example operations as tabs and subscriptions over graphql-ws.
(function () {
  "use strict";

  const config = JSON.parse(document.getElementById("graphiql-config").textContent);
  const endpoint = new URL(location.pathname, location.href);
  const subscriptionUrl = new URL(endpoint);
  subscriptionUrl.protocol = endpoint.protocol === "https:" ? "wss:" : "ws:";

  // createFetcher uses graphql-ws (bundled in graphiql.min.js) for subscriptions.
  const fetcher = GraphiQL.createFetcher({ url: endpoint.href, subscriptionUrl: subscriptionUrl.href });

  // A link such as /graphql?q=...&variables=... opens that operation in a tab of its own.
  const params = new URLSearchParams(location.search);
  const shared = params.get("q") ? { query: params.get("q"), variables: params.get("variables") || undefined } : null;
  const tabs = shared ? [shared, ...config.defaultTabs] : config.defaultTabs;

  // GraphiQL 3 fills the variables and headers editors from its props, not from the first default
  // tab: hand it that tab's, but only while it has no tabs of its own stored from an earlier visit.
  let stored = false;
  try {
    stored = localStorage.getItem("graphiql:tabState") !== null;
  } catch {
    // no storage: every visit is a first visit
  }
  const opening = shared || (stored ? {} : tabs[0]);

  const root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(
    React.createElement(GraphiQL, {
      fetcher,
      defaultTabs: tabs,
      query: shared ? shared.query : undefined,
      variables: opening.variables,
      headers: opening.headers,
      plugins: [GraphiQLPluginExplorer.explorerPlugin()],
      defaultEditorToolsVisibility: true,
      isHeadersEditorEnabled: true,
      // Tokens typed into the headers editor stay in this tab's memory, not in localStorage.
      shouldPersistHeaders: false,
      inputValueDeprecation: true,
    }),
  );
})();
