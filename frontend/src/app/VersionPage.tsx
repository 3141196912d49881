// A version's page: where it comes from, its labels, and what the viewer may do to it
// (the buttons come from the API's availableActions, never from guesses about roles):
// transition, request a transition, approve/reject/cancel requests, comment, set an
// alias, copy to another model. It refreshes when the model changes, whoever changed it.
import { useMutation, useQuery } from "@urql/preact";
import { useState } from "preact/hooks";

import {
  ApproveRequestDocument, CancelRequestDocument, CommentDocument, CopyVersionDocument, RejectRequestDocument,
  RequestTransitionDocument, SetAliasDocument, TransitionDocument, VersionPageDocument,
  type Stage, type VersionPageQuery,
} from "../../generated/graphql";
import { useActions } from "./actions";
import { safeHref, when } from "./format";
import { newestOf, useRefreshOnChange } from "./live";
import { OutcomeNote, Problem, StageBadge } from "./parts";
import { modelPath, navigate, versionPath } from "./router";

const STAGES: Stage[] = ["NONE", "STAGING", "PRODUCTION", "ARCHIVED"];
const ARCHIVING_TARGETS: Stage[] = ["STAGING", "PRODUCTION"]; // where the versions already there can be archived
type Version = NonNullable<VersionPageQuery["modelVersion"]>;

export function VersionPage({ name, version }: { name: string; version: number }) {
  const [result, reexecute] = useQuery({ query: VersionPageDocument, variables: { name, version } });
  const refresh = () => reexecute({ requestPolicy: "network-only" });
  const found = result.data?.modelVersion;
  useRefreshOnChange(refresh, newestOf(result.data, found?.registeredModel.activities.nodes[0]?.id), name);
  if (result.error) return <Problem error={result.error} />;
  if (result.fetching && !found) return <p>Loading…</p>;
  if (!found) return <section><h1>{name} v{version}</h1><p role="alert">No such version, or you may not read it.</p></section>;
  return (
    <article>
      <p><a href={modelPath(found.name)}>← {found.name}</a></p>
      <h1>{found.name} <span class="muted">v{found.version}</span> <StageBadge stage={found.stage} /></h1>
      <Facts version={found} />
      <Actions version={found} refresh={refresh} />
      <Requests version={found} refresh={refresh} />
      <Comments version={found} refresh={refresh} />
    </article>
  );
}

function Link({ uri }: { uri: string }) {
  const href = safeHref(uri);
  return href ? <a href={href} rel="noreferrer">{uri}</a> : <code>{uri}</code>;
}

function Facts({ version }: { version: Version }) {
  return (
    <dl class="facts">
      <dt>Source</dt><dd class="source"><Link uri={version.source} /></dd>
      <dt>Download URI</dt><dd class="source"><code>{version.downloadUri}</code></dd>
      <dt>Run</dt><dd>{version.runLink && <Link uri={version.runLink} />}{version.runLink && version.runId && " "}
        {version.runId && <code>{version.runId}</code>}{!version.runId && !version.runLink && <span class="muted">—</span>}</dd>
      <dt>Registered</dt><dd>{when(version.createdAt)} by {version.createdBy ?? "—"}; status {version.status.toLowerCase()}</dd>
      {version.copiedFrom && <><dt>Copied from</dt><dd>
        <a href={versionPath(version.copiedFrom.name, version.copiedFrom.version)}>
          {version.copiedFrom.name} v{version.copiedFrom.version}</a></dd></>}
      <dt>Description</dt><dd class="description">{version.description || <span class="muted">None.</span>}</dd>
      <dt>Tags</dt><dd>{version.tags.length ? version.tags.map((t) => <span class="tag" key={t.key}>{t.key}={t.value}</span>)
        : <span class="muted">None.</span>}</dd>
      <dt>Aliases</dt><dd>{version.aliases.length ? version.aliases.map((a) => <code key={a}>@{a} </code>)
        : <span class="muted">None.</span>}</dd>
    </dl>
  );
}

function StageChoice({ id, stages, value, onChange }: { id: string; stages: Stage[]; value: Stage; onChange: (s: Stage) => void }) {
  return (
    <select id={id} value={value} onChange={(event) => onChange(event.currentTarget.value as Stage)}>
      {stages.map((s) => <option key={s} value={s}>{s.toLowerCase()}</option>)}
    </select>
  );
}

function Actions({ version, refresh }: { version: Version; refresh: () => void }) {
  const can = new Set(version.availableActions);
  const direct = STAGES.filter((s) => can.has(`TRANSITION_TO_${s}` as Version["availableActions"][number]));
  const requestable = STAGES.filter((s) => s !== version.stage);
  const [picked, setStage] = useState<Stage>(direct[0] ?? requestable[0]);
  // The version may have moved (by this page or live) into the stage picked before.
  const stage = requestable.includes(picked) ? picked : (direct[0] ?? requestable[0]);
  const archiving = ARCHIVING_TARGETS.includes(stage);
  const [archive, setArchive] = useState(false);
  const [note, setNote] = useState("");
  const [alias, setAlias] = useState("");
  const [destination, setDestination] = useState("");
  const { act, outcome, busy } = useActions(refresh);
  const [, transition] = useMutation(TransitionDocument);
  const [, request] = useMutation(RequestTransitionDocument);
  const [, setModelAlias] = useMutation(SetAliasDocument);
  const [, copy] = useMutation(CopyVersionDocument);
  const ref = { name: version.name, version: version.version };
  const move = { ...ref, stage, archiveExistingVersions: archiving && archive, comment: note || null };
  const copyIt = async () => {
    const data = await act(copy({ input: { source: ref, destinationName: destination.trim() } }));
    const made = data?.copyModelVersion.modelVersion;
    if (made) navigate(versionPath(made.name, made.version));
  };
  return (
    <section aria-labelledby="actions"><h2 id="actions">Actions</h2>
      <OutcomeNote outcome={outcome} />
      <form class="row" onSubmit={(event) => event.preventDefault()}>
        <label for="stage">Move to stage</label>
        <StageChoice id="stage" stages={requestable} value={stage} onChange={setStage} />
        <label><input type="checkbox" checked={archiving && archive} disabled={!archiving}
                      onChange={(event) => setArchive(event.currentTarget.checked)} />
          {" "}archive the versions now in that stage</label>
        <label for="transition-comment">Transition comment</label>
        <input id="transition-comment" value={note} onInput={(event) => setNote(event.currentTarget.value)} />
        {direct.includes(stage) && <button type="button" disabled={busy}
          onClick={() => act(transition({ input: move })).then((done) => done && setNote(""))}>Transition</button>}
        {can.has("REQUEST_TRANSITION") && <button type="button" disabled={busy}
          onClick={() => act(request({ input: move })).then((done) => done && setNote(""))}>Request transition</button>}
      </form>
      {can.has("SET_ALIAS") && (
        <form class="row" onSubmit={(event) => { event.preventDefault(); act(setModelAlias({ input: { ...ref, alias: alias.trim() } })); }}>
          <label for="alias">Alias</label>
          <input id="alias" value={alias} onInput={(event) => setAlias(event.currentTarget.value)} />
          <button type="submit" disabled={busy}>Set alias</button>
        </form>
      )}
      <form class="row" onSubmit={(event) => { event.preventDefault(); copyIt(); }}>
        <label for="destination">Copy to model</label>
        <input id="destination" value={destination} onInput={(event) => setDestination(event.currentTarget.value)} />
        <button type="submit" disabled={busy}>Copy</button>
      </form>
    </section>
  );
}

function Requests({ version, refresh }: { version: Version; refresh: () => void }) {
  const [reason, setReason] = useState("");
  const { act, outcome, busy } = useActions(refresh);
  const [, approve] = useMutation(ApproveRequestDocument);
  const [, reject] = useMutation(RejectRequestDocument);
  const [, cancel] = useMutation(CancelRequestDocument);
  const resolve = (run: typeof approve, id: string) => act(run({ input: { id, comment: reason || null } }))
    .then((done) => done && setReason(""));
  const resolvable = version.transitionRequests.some((r) => r.availableActions.length > 0);
  return (
    <section aria-labelledby="requests"><h2 id="requests">Transition requests</h2>
      <OutcomeNote outcome={outcome} />
      {version.transitionRequests.length === 0 && <p class="muted">None.</p>}
      <ul class="requests">{version.transitionRequests.map((r) => (
        <li key={r.id} class={`request request-${r.status.toLowerCase()}`}>
          <strong>{r.status.toLowerCase()}</strong>: {r.fromStage.toLowerCase()} → {r.toStage.toLowerCase()}
          {r.archiveExistingVersions && " (archiving the others)"}, asked by {r.createdBy ?? "—"} on {when(r.createdAt)}
          {r.comment && <> <q>{r.comment}</q></>}
          {r.resolvedBy && <span>; {r.status.toLowerCase()} by {r.resolvedBy}{r.resolutionComment && <> <q>{r.resolutionComment}</q></>}</span>}
          {r.availableActions.length > 0 && (
            <span class="buttons">
              {r.availableActions.includes("APPROVE_TRANSITION_REQUEST") &&
                <button type="button" disabled={busy} onClick={() => resolve(approve, r.id)}>Approve</button>}
              {r.availableActions.includes("REJECT_TRANSITION_REQUEST") &&
                <button type="button" disabled={busy} onClick={() => resolve(reject, r.id)}>Reject</button>}
              {r.availableActions.includes("CANCEL_TRANSITION_REQUEST") &&
                <button type="button" disabled={busy} onClick={() => resolve(cancel, r.id)}>Cancel request</button>}
            </span>
          )}
        </li>
      ))}</ul>
      {resolvable && (
        <p class="row"><label for="reason">Reason (sent with approve, reject or cancel)</label>
          <input id="reason" value={reason} onInput={(event) => setReason(event.currentTarget.value)} /></p>
      )}
    </section>
  );
}

function Comments({ version, refresh }: { version: Version; refresh: () => void }) {
  const [body, setBody] = useState("");
  const { act, outcome, busy } = useActions(refresh);
  const [, comment] = useMutation(CommentDocument);
  const send = () => act(comment({ input: { name: version.name, version: version.version, body } }))
    .then((done) => done && setBody(""));
  return (
    <section aria-labelledby="comments"><h2 id="comments">Comments</h2>
      <ol class="comments">{version.comments.map((c) => (
        <li key={c.id}><span class="muted">{c.createdBy ?? "—"}, {when(c.createdAt)}:</span> <span class="body">{c.body}</span></li>
      ))}</ol>
      {version.availableActions.includes("COMMENT") && (
        <form class="row" onSubmit={(event) => { event.preventDefault(); send(); }}>
          <label for="comment">Comment</label>
          <textarea id="comment" rows={2} value={body} onInput={(event) => setBody(event.currentTarget.value)} />
          <button type="submit" disabled={busy}>Add comment</button>
        </form>
      )}
      <OutcomeNote outcome={outcome} />
    </section>
  );
}
