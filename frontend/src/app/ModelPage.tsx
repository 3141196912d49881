// A model's page: description, tags, aliases, latest version per stage, every version
// with its stage, and the model's recent history.
import { useQuery } from "@urql/preact";

import { ModelPageDocument } from "../../generated/graphql";
import { safeHref, when } from "./format";
import { Problem, StageBadge } from "./parts";

export function ModelPage({ name }: { name: string }) {
  const [result] = useQuery({ query: ModelPageDocument, variables: { name } });
  const model = result.data?.registeredModel;
  if (result.error) return <Problem error={result.error} />;
  if (result.fetching && !model) return <p>Loading…</p>;
  if (!model) return <section><h1>{name}</h1><p role="alert">No model is called so, or you may not read it.</p></section>;
  return (
    <article>
      <p><a href="/">← All models</a></p>
      <h1>{model.name}</h1>
      <p class="muted">Created by {model.createdBy ?? "—"} on {when(model.createdAt)}; updated {when(model.updatedAt)}.
        Your permission: {model.permissionLevel.toLowerCase().replaceAll("_", " ")}.</p>
      <section aria-labelledby="description"><h2 id="description">Description</h2>
        <p class="description">{model.description || <span class="muted">No description.</span>}</p></section>
      <section aria-labelledby="latest"><h2 id="latest">Latest by stage</h2>
        <p>{model.latestVersions.length ? model.latestVersions.map((v) =>
          <StageBadge key={v.version} stage={v.stage} version={v.version} />) : <span class="muted">No versions.</span>}</p>
      </section>
      <section aria-labelledby="labels"><h2 id="labels">Tags and aliases</h2>
        <p>{model.tags.map((t) => <span class="tag" key={t.key}>{t.key}={t.value}</span>)}
          {model.aliases.map((a) => <code key={a.alias}>@{a.alias}→v{a.versionNumber} </code>)}
          {!model.tags.length && !model.aliases.length && <span class="muted">None.</span>}</p>
      </section>
      <section aria-labelledby="versions"><h2 id="versions">Versions ({model.versions.totalCount})</h2>
        <table>
          <thead><tr><th scope="col">Version</th><th scope="col">Stage</th><th scope="col">Source</th>
            <th scope="col">Registered</th></tr></thead>
          <tbody>{model.versions.nodes.map((v) => {
            const href = safeHref(v.source);
            return (
              <tr key={v.id}>
                <td>{v.version}</td>
                <td><StageBadge stage={v.stage} version={v.version} /></td>
                <td class="source">{href ? <a href={href} rel="noreferrer">{v.source}</a> : <code>{v.source}</code>}</td>
                <td>{when(v.createdAt)} by {v.createdBy ?? "—"}</td>
              </tr>
            );
          })}</tbody>
        </table>
      </section>
      <section aria-labelledby="history"><h2 id="history">History</h2>
        <ol class="timeline">{model.activities.nodes.map((a) => (
          <li key={a.id}>
            <time dateTime={a.occurredAt}>{when(a.occurredAt)}</time> {a.actor ?? "someone"}:{" "}
            {a.type.toLowerCase().replaceAll("_", " ")}
            {a.version != null && ` v${a.version}`}
            {a.toStage && ` ${(a.fromStage ?? "").toLowerCase()} → ${a.toStage.toLowerCase()}`}
            {a.alias && ` @${a.alias}`}
            {a.comment && <q>{a.comment}</q>}
          </li>
        ))}</ol>
      </section>
    </article>
  );
}
