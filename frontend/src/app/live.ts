// Pages stay current without a reload: each one follows the activities it shows and asks
// for itself again (past any cache) when one arrives, whoever made the change.
import { useSubscription } from "@urql/preact";
import { useEffect } from "preact/hooks";

import { ChangesDocument, type ActivityType } from "../../generated/graphql";

export function useRefreshOnChange(refresh: () => void, modelName: string | null, types: ActivityType[] | null = null) {
  const [changes] = useSubscription({ query: ChangesDocument, variables: { modelName, types } });
  const latest = changes.data?.activities.id;
  useEffect(() => {
    if (latest) refresh();
  }, [latest]);
}
