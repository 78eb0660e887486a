import { requireSession } from "../../_components/session";
import { getQueryClient, HydrateClient, trpc } from "../../_trpc/server";
import { DeadLetterList } from "./dead-letter-list";
import { deadLetterListInput, deadLetterListPaging } from "./list-options";

export default async function DeadLettersPage() {
  const session = await requireSession();
  // Awaited, not streamed: the counts in the stage tabs must be the same in
  // the server render and the first client render.
  const queryClient = getQueryClient();
  await Promise.all([
    queryClient.prefetchQuery(trpc.deadLetters.stats.queryOptions()),
    queryClient.prefetchInfiniteQuery(
      trpc.deadLetters.list.infiniteQueryOptions(deadLetterListInput({ status: "pending" }), deadLetterListPaging),
    ),
  ]);
  return (
    <HydrateClient>
      <h1 className="text-2xl font-semibold tracking-tight">Dead letters</h1>
      <p className="mt-1 text-sm text-slate-500">
        Records a stage could not process. Fix the cause, then replay them to the stage they came from.
      </p>
      <DeadLetterList canReplay={session.role !== "VIEWER"} />
    </HydrateClient>
  );
}
