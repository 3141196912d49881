// The registry web app, on the public GraphQL API only.
import { Provider } from "@urql/preact";
import { render } from "preact";
import { useMemo, useState } from "preact/hooks";

import "./app.css";
import { storedToken, storeToken } from "../token";
import { makeClient } from "./client";
import { ModelPage } from "./ModelPage";
import { ModelsList } from "./ModelsList";
import { Reviews } from "./Reviews";
import { catchLinks, routeOf, useLocation } from "./router";
import { VersionPage } from "./VersionPage";

function SignIn({ onToken }: { onToken: (token: string) => void }) {
  const [draft, setDraft] = useState("");
  return (
    <form class="sign-in" onSubmit={(event) => { event.preventDefault(); onToken(draft.trim()); }}>
      <h1>Sign in</h1>
      <p>This registry needs an access token (<code>registry-gateway tokens create --user NAME</code> makes one).
        It is kept in this tab only and sent as an Authorization header.</p>
      <label for="token">Access token</label>
      <input id="token" type="password" autoComplete="off" value={draft}
             onInput={(event) => setDraft(event.currentTarget.value)} />
      <button type="submit">Sign in</button>
    </form>
  );
}

function App({ required }: { required: boolean }) {
  const [token, setToken] = useState(storedToken);
  const client = useMemo(() => makeClient(token), [token]);
  const { path, search } = useLocation();
  const route = routeOf(path);
  const signIn = (value: string) => { storeToken(value); setToken(value); };
  return (
    <>
      <header class="top">
        <a class="brand" href="/">Model registry</a>
        <nav aria-label="Main"><a href="/">Models</a><a href="/reviews">Review inbox</a><a href="/graphql">GraphiQL</a></nav>
        {token && <button type="button" onClick={() => signIn("")}>Sign out</button>}
      </header>
      <main>
        {required && !token ? <SignIn onToken={signIn} /> : (
          <Provider value={client}>
            {route.page === "models" && <ModelsList key={search.toString()} search={search} />}
            {route.page === "model" && <ModelPage key={route.name} name={route.name} />}
            {route.page === "version" && <VersionPage key={`${route.name}/${route.version}`} name={route.name}
                                                      version={route.version} />}
            {route.page === "reviews" && <Reviews />}
            {route.page === "missing" && <p role="alert">There is no such page. <a href="/">All models</a></p>}
          </Provider>
        )}
      </main>
    </>
  );
}

const root = document.getElementById("app")!;
catchLinks(root);
render(<App required={root.dataset.auth === "required"} />, root);
