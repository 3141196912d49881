// Small pieces the pages share.
import type { CombinedError } from "@urql/core";

export function StageBadge({ stage, version }: { stage: string; version: number }) {
  return <span class={`stage stage-${stage.toLowerCase()}`}>v{version} {stage.toLowerCase()}</span>;
}

/** A GraphQL error as the API gave it: its code and message, as text. */
export function Problem({ error }: { error: CombinedError }) {
  const first = error.graphQLErrors[0];
  const code = (first?.extensions?.code as string | undefined) ?? (error.networkError ? "NETWORK" : "ERROR");
  const message = first?.message ?? error.networkError?.message ?? error.message;
  return <p class="problem" role="alert"><strong>{code}</strong> {message}</p>;
}
