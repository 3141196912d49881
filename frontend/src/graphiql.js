// GraphiQL as the gateway serves it: no CDN, the playground's operations as examples, and
// in `--auth required` mode a token asked for once and sent as a header (never in the URL).
import { explorerPlugin } from "@graphiql/plugin-explorer";
import { useEditorContext } from "@graphiql/react";
import { createGraphiQLFetcher } from "@graphiql/toolkit";
import { GraphiQL } from "graphiql";
import { createClient } from "graphql-ws";
import { createElement as h, StrictMode, useEffect, useMemo, useState } from "react";
import { createRoot } from "react-dom/client";

import { storedToken, storeToken } from "./token";

import "graphiql/style.css";
import "@graphiql/plugin-explorer/style.css";
import "./graphiql.css";

// Every operation in playground/, bundled at build time (a test checks the bundle holds
// each file as it is now). The first comment lines say what an operation does.
const PLAYGROUND = import.meta.glob("../../playground/*.graphql", { query: "?raw", import: "default", eager: true });
const EXAMPLES = Object.entries(PLAYGROUND)
  .map(([path, text]) => ({ name: path.split("/").pop().replace(".graphql", ""), text }))
  .sort((a, b) => a.name.localeCompare(b.name));

function ExamplesPane() {
  const { addTab, queryEditor, tabs } = useEditorContext({ nonNull: true });
  const [pending, setPending] = useState(null); // the example waiting for its tab
  useEffect(() => {
    // GraphiQL fills a new tab with its default query while it renders the tab; the
    // example goes in after that render, or the default would replace it.
    if (pending && tabs.length > pending.tabsBefore && queryEditor) {
      queryEditor.setValue(pending.example.text);
      setPending(null);
    }
  }, [pending, tabs.length, queryEditor]);
  const open = (example) => {
    setPending({ example, tabsBefore: tabs.length });
    addTab();
  };
  return h("section", { className: "examples" },
    h("h2", null, "Examples"),
    h("p", null, "The gateway's playground operations. Each opens in a new tab."),
    h("ul", null, EXAMPLES.map((example) =>
      h("li", { key: example.name },
        h("button", { type: "button", onClick: () => open(example) }, example.name.replaceAll("_", " "))))));
}

function ExamplesIcon() {
  return h("svg", { viewBox: "0 0 24 24", width: 20, height: 20, "aria-hidden": true },
    h("path", { d: "M4 5h16M4 12h16M4 19h10", stroke: "currentColor", strokeWidth: 2, fill: "none" }));
}

const WELCOME = `# The registry's GraphQL API. Docs (the book icon on the left) describe every type;
# Examples (the list icon) opens the gateway's playground operations in new tabs.
# Ctrl-Enter runs the operation, Ctrl-Space completes.
{
  registeredModels(first: 5) {
    totalCount
    nodes { name latestVersions { version stage } }
  }
}
`;

const examplesPlugin = { title: "Examples", icon: ExamplesIcon, content: ExamplesPane };
const explorer = explorerPlugin();

function TokenBar({ required, token, onToken }) {
  const [draft, setDraft] = useState("");
  const submit = (event) => {
    event.preventDefault();
    onToken(draft.trim());
    setDraft("");
  };
  return h("form", { className: "token-bar", onSubmit: submit },
    h("span", { className: "token-state" },
      token ? "Signed in with a token." : required ? "This registry needs an access token." : "Local mode: no token needed."),
    h("label", { htmlFor: "token" }, "Access token"),
    h("input", { id: "token", type: "password", autoComplete: "off", value: draft,
                  onChange: (event) => setDraft(event.target.value) }),
    h("button", { type: "submit" }, "Use token"),
    token ? h("button", { type: "button", onClick: () => onToken("") }, "Forget token") : null);
}

function Playground({ required }) {
  const [token, setToken] = useState(storedToken);
  const remember = (value) => {
    storeToken(value);
    setToken(value);
  };
  const fetcher = useMemo(() => {
    const authorization = token ? { Authorization: `Bearer ${token}` } : {};
    const url = new URL("/graphql", window.location.href);
    const wsUrl = url.href.replace(/^http/, "ws");
    return createGraphiQLFetcher({
      url: url.href,
      headers: authorization,
      wsClient: createClient({ url: wsUrl, connectionParams: authorization, lazy: true }),
    });
  }, [token]);
  // Where a token is required, nothing is sent until there is one.
  const waiting = required && !token;
  return h("div", { className: "page" },
    h(TokenBar, { required, token, onToken: remember }),
    waiting ? h("main", { className: "waiting" },
      h("p", null, "Give an access token above (", h("code", null, "registry-gateway tokens create --user NAME"),
        " makes one); it is kept in this tab only and sent as an Authorization header.")) : h("main", { className: "ide" },
      h(GraphiQL, { fetcher, plugins: [examplesPlugin, explorer], defaultQuery: WELCOME,
                    defaultEditorToolsVisibility: true, shouldPersistHeaders: false })));
}

// GraphiQL's editors are CodeMirror textareas with no label; screen readers need a name
// for each. They are created (and re-created) as tabs and panes open, so they are named
// as they appear.
const EDITOR_NAMES = [
  [".graphiql-query-editor textarea", "Operation"],
  [".graphiql-editor-tool .graphiql-editor:nth-child(1) textarea", "Variables"],
  [".graphiql-editor-tool .graphiql-editor:nth-child(2) textarea", "Headers"],
  [".graphiql-response textarea", "Response"],
];
function nameEditors() {
  for (const [selector, name] of EDITOR_NAMES) {
    for (const editor of document.querySelectorAll(`${selector}:not([aria-label])`)) editor.setAttribute("aria-label", name);
  }
}

const root = document.getElementById("graphiql");
new MutationObserver(nameEditors).observe(root, { childList: true, subtree: true });
createRoot(root).render(h(StrictMode, null, h(Playground, { required: root.dataset.auth === "required" })));
