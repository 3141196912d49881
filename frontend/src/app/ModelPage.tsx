// A model's page: description (editable with CAN_EDIT), tags, aliases, latest version per
// stage, every version with its stage, and the model's recent history. It refreshes when
// the model changes, whoever changed it.
import { useMutation, useQuery } from "@urql/preact";
import { useState } from "preact/hooks";

import { ModelPageDocument, UpdateDescriptionDocument, type PermissionLevel } from "../../generated/graphql";
import { useActions } from "./actions";
import { ModelAdmin } from "./ModelAdmin";
import { safeHref, when } from "./format";
import { newestOf, useRefreshOnChange } from "./live";
import { OutcomeNote, Problem, StageBadge } from "./parts";
import { versionPath } from "./router";

const EDITORS: PermissionLevel[] = ["CAN_EDIT", "CAN_MANAGE_STAGING_VERSIONS", "CAN_MANAGE_PRODUCTION_VERSIONS", "CAN_MANAGE"];

export function ModelPage({ name }: { name: string }) {
  const [result, reexecute] = useQuery({ query: ModelPageDocument, variables: { name } });
  const refresh = () => reexecute({ requestPolicy: "network-only" });
  useRefreshOnChange(refresh, newestOf(result.data, result.data?.registeredModel?.activities.nodes[0]?.id), name);
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
      <Description name={model.name} text={model.description ?? ""} editable={EDITORS.includes(model.permissionLevel)}
                   refresh={refresh} />
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
                <td><a href={versionPath(model.name, v.version)}>v{v.version}</a></td>
                <td><StageBadge stage={v.stage} /></td>
                <td class="source">{href ? <a href={href} rel="noreferrer">{v.source}</a> : <code>{v.source}</code>}</td>
                <td>{when(v.createdAt)} by {v.createdBy ?? "—"}</td>
              </tr>
            );
          })}</tbody>
        </table>
      </section>
      {model.permissionLevel === "CAN_MANAGE" && <ModelAdmin name={model.name} />}
      <section aria-labelledby="history"><h2 id="history">History</h2>
        <ol class="timeline">{model.activities.nodes.map((a) => (
          <li key={a.id}>
            <time dateTime={a.occurredAt}>{when(a.occurredAt)}</time> {a.actor ?? "someone"}:{" "}
            {a.type.toLowerCase().replaceAll("_", " ")}
            {a.version != null && ` v${a.version}`}
            {a.toStage && ` ${(a.fromStage ?? "").toLowerCase()} → ${a.toStage.toLowerCase()}`}
            {a.alias && ` @${a.alias}`}
            {a.comment && <> <q>{a.comment}</q></>}
          </li>
        ))}</ol>
      </section>
    </article>
  );
}

function Description({ name, text, editable, refresh }: { name: string; text: string; editable: boolean; refresh: () => void }) {
  const [draft, setDraft] = useState<string | null>(null); // null: not editing
  const { act, outcome, busy } = useActions(refresh);
  const [, update] = useMutation(UpdateDescriptionDocument);
  const save = () => act(update({ input: { name, description: draft || null } })).then((done) => done && setDraft(null));
  return (
    <section aria-labelledby="description"><h2 id="description">Description</h2>
      {draft === null ? (
        <>
          <p class="description">{text || <span class="muted">No description.</span>}</p>
          {editable && <button type="button" onClick={() => setDraft(text)}>Edit description</button>}
        </>
      ) : (
        <form class="edit" onSubmit={(event) => { event.preventDefault(); save(); }}>
          <label for="description-text">Description</label>
          <textarea id="description-text" rows={4} value={draft} onInput={(event) => setDraft(event.currentTarget.value)} />
          <span class="buttons"><button type="submit" disabled={busy}>Save</button>
            <button type="button" onClick={() => setDraft(null)}>Cancel</button></span>
        </form>
      )}
      <OutcomeNote outcome={outcome} />
    </section>
  );
}
