// The models list: an MLflow filter string, an order, keyset pages of 25, and counts.
import { useQuery } from "@urql/preact";
import { useState } from "preact/hooks";

import { ModelsListDocument, type RegisteredModelOrder } from "../../generated/graphql";
import { modelPath, navigate } from "./router";
import { Problem, StageBadge } from "./parts";

const PAGE = 25;
const ORDERS: Record<string, RegisteredModelOrder[]> = {
  name: [{ field: "NAME", direction: "ASC" }],
  updated: [{ field: "UPDATED_AT", direction: "DESC" }],
  created: [{ field: "CREATED_AT", direction: "DESC" }],
};

export function ModelsList({ search }: { search: URLSearchParams }) {
  const query = search.get("q") ?? "";
  const order = search.get("sort") ?? "name";
  const [draft, setDraft] = useState(query);
  const [cursors, setCursors] = useState<(string | null)[]>([null]); // the `after` of each page seen
  const after = cursors[cursors.length - 1];
  const [result] = useQuery({
    query: ModelsListDocument,
    variables: { first: PAGE, after, query: query || null, orderBy: ORDERS[order] ?? ORDERS.name },
  });
  const change = (q: string, sort: string) => {
    const params = new URLSearchParams();
    if (q) params.set("q", q);
    if (sort !== "name") params.set("sort", sort);
    setCursors([null]);
    navigate(`/${params.size ? `?${params}` : ""}`);
  };
  const models = result.data?.registeredModels;
  return (
    <section>
      <h1>Registered models</h1>
      <form class="search" role="search" onSubmit={(event) => { event.preventDefault(); change(draft.trim(), order); }}>
        <label for="filter">Filter</label>
        <input id="filter" name="q" value={draft} placeholder="name LIKE 'fraud%' AND tags.team = 'risk'"
               onInput={(event) => setDraft(event.currentTarget.value)} />
        <button type="submit">Search</button>
        <label for="sort">Sort by</label>
        <select id="sort" value={order} onChange={(event) => change(query, event.currentTarget.value)}>
          <option value="name">name</option>
          <option value="updated">last updated</option>
          <option value="created">newest</option>
        </select>
      </form>
      {result.error && <Problem error={result.error} />}
      {models && (
        <>
          <p class="count" aria-live="polite">
            {models.totalCount === 1 ? "1 model" : `${models.totalCount} models`}
            {cursors.length > 1 || models.pageInfo.hasNextPage ? `, page ${cursors.length}` : ""}
          </p>
          <table class="models">
            <thead>
              <tr><th scope="col">Name</th><th scope="col">Versions</th><th scope="col">Latest by stage</th>
                <th scope="col">Aliases</th><th scope="col">Tags</th><th scope="col">Updated</th></tr>
            </thead>
            <tbody>
              {models.nodes.map((model) => (
                <tr key={model.id}>
                  <td><a href={modelPath(model.name)}>{model.name}</a>
                    {model.description && <div class="muted">{model.description}</div>}</td>
                  <td>{model.versions.totalCount}</td>
                  <td>{model.latestVersions.map((v) => <StageBadge key={v.version} stage={v.stage} version={v.version} />)}</td>
                  <td>{model.aliases.map((a) => <code key={a.alias}>@{a.alias}→{a.versionNumber} </code>)}</td>
                  <td>{model.tags.map((t) => <span class="tag" key={t.key}>{t.key}={t.value}</span>)}</td>
                  <td><time dateTime={model.updatedAt}>{new Date(model.updatedAt).toLocaleDateString()}</time></td>
                </tr>
              ))}
            </tbody>
          </table>
          <nav class="pager" aria-label="Pages">
            <button type="button" disabled={cursors.length === 1}
                    onClick={() => setCursors(cursors.slice(0, -1))}>Previous page</button>
            <button type="button" disabled={!models.pageInfo.hasNextPage}
                    onClick={() => setCursors([...cursors, models.pageInfo.endCursor ?? null])}>Next page</button>
          </nav>
        </>
      )}
      {result.fetching && !models && <p>Loading…</p>}
    </section>
  );
}
