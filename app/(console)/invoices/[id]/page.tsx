import { HydrateClient, prefetch, trpc } from "../../../_trpc/server";
import { InvoiceDetail } from "./invoice-detail";

export default async function InvoicePage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  await prefetch(trpc.invoices.get.queryOptions({ id }));
  return (
    <HydrateClient>
      <InvoiceDetail id={id} />
    </HydrateClient>
  );
}
