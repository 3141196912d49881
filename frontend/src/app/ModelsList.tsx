// The models list: an MLflow filter string and typed filters (a tag, an alias), an order,
// keyset pages of 25, and counts. What is asked for lives in the URL, so it can be shared.
import { useQuery } from "@urql/preact";
import { useState } from "preact/hooks";

import { ModelsListDocument, type RegisteredModelFilter, type RegisteredModelOrder } from "../../generated/graphql";
import { modelPath, navigate } from "./router";
import { Problem, StageBadge } from "./parts";

const PAGE = 25;
const ORDERS: Record<string, RegisteredModelOrder[]> = {
  name: [{ field: "NAME", direction: "ASC" }],
  updated: [{ field: "UPDATED_AT", direction: "DESC" }],
  created: [{ field: "CREATED_AT", direction: "DESC" }],
};

type Asked = { q: string; tag: string; value: string; alias: string; sort: string };

function typedFilter({ tag, value, alias }: Asked): RegisteredModelFilter | null {
  const filter: RegisteredModelFilter = {};
  if (tag) filter.tags = [{ key: tag, value: value ? { eq: value } : null }];
  if (alias) filter.alias = alias;
  return Object.keys(filter).length ? filter : null;
}

export function ModelsList({ search }: { search: URLSearchParams }) {
  const asked: Asked = { q: search.get("q") ?? "", tag: search.get("tag") ?? "", value: search.get("value") ?? "",
                         alias: search.get("alias") ?? "", sort: search.get("sort") ?? "name" };
  const [draft, setDraft] = useState(asked);
  const [cursors, setCursors] = useState<(string | null)[]>([null]); // the `after` of each page seen
  const after = cursors[cursors.length - 1];
  const [result] = useQuery({
    query: ModelsListDocument,
    variables: { first: PAGE, after, query: asked.q || null, filter: typedFilter(asked),
                 orderBy: ORDERS[asked.sort] ?? ORDERS.name },
  });
  const change = (next: Asked) => {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(next)) {
      if (value.trim() && !(key === "sort" && value === "name")) params.set(key, value.trim());
    }
    setCursors([null]);
    navigate(`/${params.size ? `?${params}` : ""}`);
  };
  const field = (key: keyof Asked, label: string, placeholder = "") => (
    <>
      <label for={`filter-${key}`}>{label}</label>
      <input id={`filter-${key}`} value={draft[key]} placeholder={placeholder}
             onInput={(event) => setDraft({ ...draft, [key]: event.currentTarget.value })} />
    </>
  );
  const models = result.data?.registeredModels;
  return (
    <section>
      <h1>Registered models</h1>
      <form class="search" role="search" onSubmit={(event) => { event.preventDefault(); change(draft); }}>
        <span class="query">{field("q", "Filter", "name LIKE 'fraud%' AND tags.team = 'risk'")}</span>
        {field("tag", "Tag")}
        {field("value", "equal to", "any value")}
        {field("alias", "Alias")}
        <button type="submit">Search</button>
        <label for="sort">Sort by</label>
        <select id="sort" value={asked.sort} onChange={(event) => change({ ...asked, sort: event.currentTarget.value })}>
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
