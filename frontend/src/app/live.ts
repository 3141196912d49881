// Pages stay current without a reload: each one follows the activities it shows and asks
// for itself again (past any cache) when one arrives, whoever made the change.
import { useSubscription } from "@urql/preact";
import { useEffect, useState } from "preact/hooks";

import { ChangesDocument, type ActivityType } from "../../generated/graphql";

/** The newest activity id a page's read saw: undefined until the read answers, null when there is none. */
export function newestOf(data: unknown, id: string | undefined): string | null | undefined {
  return data === undefined ? undefined : id ?? null;
}

/**
 * `newest` is the id of the newest activity the page's query saw (undefined while it
 * loads, null when there is none). The subscription starts after it, so a change
 * committed between the page's read and the subscription is replayed, not lost; so is
 * one made while the socket reconnects.
 */
export function useRefreshOnChange(refresh: () => void, newest: string | null | undefined, modelName: string | null,
                                   types: ActivityType[] | null = null) {
  const [since, setSince] = useState<string | null | undefined>(undefined);
  useEffect(() => {
    if (since === undefined && newest !== undefined) setSince(newest);
  }, [newest]);
  const [changes] = useSubscription({
    query: ChangesDocument,
    variables: { after: since ?? null, modelName, types },
    pause: since === undefined,
  });
  const latest = changes.data?.activities.id;
  useEffect(() => {
    if (latest) refresh();
  }, [latest]);
}
