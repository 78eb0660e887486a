import { requireSession } from "../../_components/session";
import { getQueryClient, HydrateClient, trpc } from "../../_trpc/server";
import { GenerateInvoicesForm } from "./generate-form";
import { InvoiceList } from "./invoice-list";
import { invoiceListInput, invoiceListPaging } from "./list-options";

export default async function InvoicesPage() {
  const session = await requireSession();
  const queryClient = getQueryClient();
  await Promise.all([
    queryClient.prefetchInfiniteQuery(
      trpc.invoices.list.infiniteQueryOptions(invoiceListInput(null), invoiceListPaging),
    ),
    queryClient.prefetchQuery(trpc.clients.list.queryOptions()),
  ]);
  return (
    <HydrateClient>
      <h1 className="text-2xl font-semibold tracking-tight">Invoices</h1>
      <p className="mt-1 text-sm text-slate-500">
        Postpaid usage, invoiced per client and calendar month (UTC). The scheduler invoices the previous month on its
        own.
      </p>
      {session.role === "ADMIN" && <GenerateInvoicesForm />}
      <InvoiceList />
    </HydrateClient>
  );
}
