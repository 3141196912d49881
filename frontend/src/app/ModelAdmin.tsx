// A model's management, for its CAN_MANAGE holders: who may use it (grants to users or
// groups) and its webhooks, whose signing secret is shown once, when it is made.
import { useMutation, useQuery } from "@urql/preact";
import { useState } from "preact/hooks";

import {
  AddWebhookDocument, ModelAdminDocument, SetPermissionDocument, type ModelAdminQuery, type PermissionLevel,
} from "../../generated/graphql";
import { useActions } from "./actions";
import { when } from "./format";
import { OutcomeNote, Problem } from "./parts";

const LEVELS: PermissionLevel[] = ["NO_PERMISSIONS", "CAN_READ", "CAN_EDIT", "CAN_MANAGE_STAGING_VERSIONS",
  "CAN_MANAGE_PRODUCTION_VERSIONS", "CAN_MANAGE"];
const spoken = (constant: string) => constant.toLowerCase().replaceAll("_", " ");

export function ModelAdmin({ name }: { name: string }) {
  const [result, reexecute] = useQuery({ query: ModelAdminDocument, variables: { name } });
  const refresh = () => reexecute({ requestPolicy: "network-only" });
  const model = result.data?.registeredModel;
  if (result.error) return <Problem error={result.error} />;
  if (!model) return null;
  return (
    <>
      <Permissions name={name} grants={model.permissions} refresh={refresh} />
      <Webhooks name={name} hooks={model.webhooks} refresh={refresh} />
    </>
  );
}

type Managed = NonNullable<ModelAdminQuery["registeredModel"]>;
type Grants = Managed["permissions"];
type Hooks = Managed["webhooks"];

function Permissions({ name, grants, refresh }: { name: string; grants: Grants; refresh: () => void }) {
  const [principal, setPrincipal] = useState("");
  const [level, setLevel] = useState<PermissionLevel>("CAN_READ");
  const { act, outcome, busy } = useActions(refresh);
  const [, grant] = useMutation(SetPermissionDocument);
  return (
    <section aria-labelledby="permissions"><h2 id="permissions">Permissions</h2>
      <table>
        <thead><tr><th scope="col">User or group</th><th scope="col">Level</th></tr></thead>
        <tbody>{grants.map((g) => <tr key={g.principal}><td>{g.principal}</td><td>{spoken(g.level)}</td></tr>)}</tbody>
      </table>
      <form class="row" onSubmit={(event) => {
        event.preventDefault();
        act(grant({ input: { name, principal: principal.trim(), level } })).then((done) => done && setPrincipal(""));
      }}>
        <label for="principal">User or group</label>
        <input id="principal" value={principal} onInput={(event) => setPrincipal(event.currentTarget.value)} />
        <label for="level">Level</label>
        <select id="level" value={level} onChange={(event) => setLevel(event.currentTarget.value as PermissionLevel)}>
          {LEVELS.map((l) => <option key={l} value={l}>{spoken(l)}</option>)}
        </select>
        <button type="submit" disabled={busy}>Grant</button>
      </form>
      <OutcomeNote outcome={outcome} />
    </section>
  );
}

function Webhooks({ name, hooks, refresh }: { name: string; hooks: Hooks; refresh: () => void }) {
  const [url, setUrl] = useState("");
  const [secret, setSecret] = useState<string | null>(null);
  const { act, outcome, busy } = useActions(refresh);
  const [, add] = useMutation(AddWebhookDocument);
  const create = async () => {
    const data = await act(add({ input: { url: url.trim(), modelName: name } }));
    if (data?.createWebhook.secret) {
      setSecret(data.createWebhook.secret);
      setUrl("");
    }
  };
  return (
    <section aria-labelledby="webhooks"><h2 id="webhooks">Webhooks</h2>
      {hooks.length === 0 ? <p class="muted">None.</p> : (
        <table>
          <thead><tr><th scope="col">URL</th><th scope="col">Status</th><th scope="col">Events</th>
            <th scope="col">Made</th></tr></thead>
          <tbody>{hooks.map((h) => (
            <tr key={h.id}><td class="source"><code>{h.url}</code></td><td>{spoken(h.status)}</td>
              <td>{h.events.length ? h.events.map(spoken).join(", ") : "every event"}</td>
              <td>{when(h.createdAt)} by {h.createdBy ?? "—"}</td></tr>
          ))}</tbody>
        </table>
      )}
      <form class="row" onSubmit={(event) => { event.preventDefault(); create(); }}>
        <label for="webhook-url">Send this model's events to</label>
        <input id="webhook-url" type="url" value={url} placeholder="https://ci.example.com/hooks/registry"
               onInput={(event) => setUrl(event.currentTarget.value)} />
        <button type="submit" disabled={busy}>Add webhook</button>
      </form>
      {secret && <p class="secret" role="status">Signing secret (shown once; deliveries are signed with it):{" "}
        <code>{secret}</code></p>}
      <OutcomeNote outcome={outcome} />
    </section>
  );
}
