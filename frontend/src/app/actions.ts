// Running a page's mutations: each answers with userErrors (shown by OutcomeNote); when
// it succeeds the page asks for itself again.
import type { AnyVariables, OperationResult } from "@urql/core";
import { useState } from "preact/hooks";

import type { Outcome, UserError } from "./parts";

type Payloads = Record<string, { userErrors: UserError[] } | null | undefined>;

export function useActions(refresh: () => void) {
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [busy, setBusy] = useState(false);
  const act = async <D extends Payloads, V extends AnyVariables>(
    run: Promise<OperationResult<D, V>>,
  ): Promise<D | undefined> => {
    setBusy(true);
    const result = await run;
    setBusy(false);
    const payload = result.data ? Object.values(result.data)[0] : undefined;
    const answer = { error: result.error, userErrors: payload?.userErrors ?? [] };
    setOutcome(answer);
    if (!answer.error && !answer.userErrors.length) refresh();
    return answer.error || answer.userErrors.length ? undefined : result.data;
  };
  return { act, outcome, busy };
}
