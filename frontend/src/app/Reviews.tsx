// The review inbox: pending transition requests across every model the viewer can read,
// newest first, each leading to its version's page where it is approved or rejected.
// New requests and resolutions appear without a reload.
import { useQuery } from "@urql/preact";

import { ReviewsDocument } from "../../generated/graphql";
import { when } from "./format";
import { newestOf, useRefreshOnChange } from "./live";
import { Problem, StageBadge } from "./parts";
import { versionPath } from "./router";

const SHOWN = 100;
const REQUEST_CHANGES = ["TRANSITION_REQUESTED", "TRANSITION_REQUEST_APPROVED", "TRANSITION_REQUEST_REJECTED",
  "TRANSITION_REQUEST_CANCELLED", "STAGE_TRANSITIONED", "MODEL_VERSION_DELETED", "REGISTERED_MODEL_DELETED"] as const;

export function Reviews() {
  const [result, reexecute] = useQuery({ query: ReviewsDocument, variables: { first: SHOWN } });
  const requests = result.data?.transitionRequests;
  const newest = newestOf(result.data, result.data?.activities.nodes[0]?.id);
  useRefreshOnChange(() => reexecute({ requestPolicy: "network-only" }), newest, null, [...REQUEST_CHANGES]);
  return (
    <section>
      <h1>Review inbox</h1>
      {result.error && <Problem error={result.error} />}
      {requests && (requests.length === 0 ? <p class="muted">No requests wait for review.</p> : (
        <table>
          <thead><tr><th scope="col">Version</th><th scope="col">Now</th><th scope="col">Asked for</th>
            <th scope="col">By</th><th scope="col">Comment</th><th scope="col">You may</th></tr></thead>
          <tbody>{requests.map((r) => (
            <tr key={r.id}>
              <td><a href={versionPath(r.modelVersion.name, r.modelVersion.version)}>
                {r.modelVersion.name} v{r.modelVersion.version}</a></td>
              <td><StageBadge stage={r.modelVersion.stage} version={r.modelVersion.version} /></td>
              <td>{r.toStage.toLowerCase()}{r.archiveExistingVersions && " (archiving the others)"}</td>
              <td>{r.createdBy ?? "—"}, {when(r.createdAt)}</td>
              <td>{r.comment}</td>
              <td>{r.availableActions.includes("APPROVE_TRANSITION_REQUEST") ? "approve or reject"
                : r.availableActions.includes("CANCEL_TRANSITION_REQUEST") ? "cancel" : "read"}</td>
            </tr>
          ))}</tbody>
        </table>
      ))}
      {requests?.length === SHOWN && <p class="muted">The newest {SHOWN} are shown; GraphQL's transitionRequests pages
        through the rest.</p>}
      {result.fetching && !requests && <p>Loading…</p>}
    </section>
  );
}
