// Small pieces the pages share.
import type { CombinedError } from "@urql/core";

/** A stage, with the version in it when the badge stands among others' versions. */
export function StageBadge({ stage, version }: { stage: string; version?: number }) {
  return <span class={`stage stage-${stage.toLowerCase()}`}>{version != null && `v${version} `}{stage.toLowerCase()}</span>;
}

/** A GraphQL error as the API gave it: its code and message, as text. */
export function Problem({ error }: { error: CombinedError }) {
  const first = error.graphQLErrors[0];
  const code = (first?.extensions?.code as string | undefined) ?? (error.networkError ? "NETWORK" : "ERROR");
  const message = first?.message ?? error.networkError?.message ?? error.message;
  return <p class="problem" role="alert"><strong>{code}</strong> {message}</p>;
}

export type UserError = { code: string; message: string; field?: string[] | null };

/** What a mutation answered: the API's error or its userErrors, each with its code. */
export type Outcome = { error?: CombinedError; userErrors: UserError[] };

export function OutcomeNote({ outcome }: { outcome: Outcome | null }) {
  if (!outcome) return null;
  if (outcome.error) return <Problem error={outcome.error} />;
  return outcome.userErrors.length ? (
    <ul class="problem" role="alert">{outcome.userErrors.map((e, i) =>
      <li key={i}><strong>{e.code}</strong> {e.message}</li>)}</ul>
  ) : null;
}
