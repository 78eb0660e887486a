"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { analyzeText } from "@/server/messages/encoding";
import type { UploadSummary } from "@/server/uploads/service";
import { useTRPC } from "../../../_trpc/react";

const input =
  "mt-1 block w-full rounded-md border border-slate-300 px-3 py-2 text-sm focus:border-indigo-500 focus:outline-none";
const labelText = "block text-sm font-medium";
const hint = "mt-1 block text-xs text-slate-500";

type Category = "MARKETING" | "AUTHENTICATION" | "AGENT_FLOW";
type RecipientSource = "paste" | "upload";

/** Row errors shown under an upload; the server keeps a sample of 20. */
const ROW_ERRORS_SHOWN = 5;

// Sent as the raw body, not multipart: the server parses and stores the file
// while it streams in.
async function uploadCsv(file: File): Promise<UploadSummary> {
  const res = await fetch("/api/uploads", {
    method: "POST",
    body: file,
    headers: { "x-file-name": encodeURIComponent(file.name), "content-type": "text/csv" },
  });
  const body = (await res.json().catch(() => null)) as (UploadSummary & { error?: string }) | null;
  if (!res.ok || !body) throw new Error(body?.error ?? `Upload failed (HTTP ${res.status})`);
  return body;
}

export function NewCampaignForm() {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const clients = useQuery(trpc.clients.list.queryOptions());
  const [clientId, setClientId] = useState("");
  const [name, setName] = useState("");
  const [senderId, setSenderId] = useState("");
  const [category, setCategory] = useState<Category>("MARKETING");
  const [template, setTemplate] = useState("");
  const [source, setSource] = useState<RecipientSource>("paste");
  const [pasted, setPasted] = useState("");
  const [startAt, setStartAt] = useState("");
  const [rateLimit, setRateLimit] = useState("");
  const [allowDefer, setAllowDefer] = useState(true);

  const upload = useMutation({ mutationFn: uploadCsv });
  const create = useMutation(
    trpc.campaigns.create.mutationOptions({
      onSuccess: async (c) => {
        await queryClient.invalidateQueries({ queryKey: trpc.campaigns.list.pathKey() });
        router.push(`/campaigns/${c.id}`);
      },
    }),
  );

  const client = clients.data?.find((c) => c.id === clientId);
  const fieldErrors = create.error?.data?.zodError?.fieldErrors as Record<string, string[] | undefined> | undefined;
  const pastedCount = pasted.split(/[\r\n,;]+/).filter((s) => s.trim()).length;
  const uploaded = source === "upload" ? upload.data : undefined;
  const columns = source === "paste" ? ["phone"] : (uploaded?.columns ?? []);
  const isUploadMissing = source === "upload" && !uploaded;

  return (
    <form
      className="mt-6 max-w-2xl space-y-5 rounded-lg border border-slate-200 bg-white p-6"
      onSubmit={(e) => {
        e.preventDefault();
        if (isUploadMissing) return;
        create.mutate({
          clientId,
          name,
          senderId,
          category,
          template,
          recipients: uploaded ? { kind: "upload", uploadId: uploaded.id } : { kind: "paste", text: pasted },
          allowDefer,
          rateLimitPerSecond: rateLimit ? Number(rateLimit) : null,
          // datetime-local has no zone: the browser reads it as local time.
          scheduledAt: startAt ? new Date(startAt) : null,
        });
      }}
    >
      <div>
        <label htmlFor="campaign-client" className={labelText}>
          Client
        </label>
        <select
          id="campaign-client"
          className={input}
          name="client"
          value={clientId}
          onChange={(e) => setClientId(e.target.value)}
          required
        >
          <option value="">Choose a client…</option>
          {clients.data?.map((c) => (
            <option key={c.id} value={c.id}>
              {c.name} ({c.billingType.toLowerCase()})
            </option>
          ))}
        </select>
        <FieldError errors={fieldErrors?.clientId} />
      </div>

      <div>
        <label htmlFor="campaign-name" className={labelText}>
          Campaign name
        </label>
        <input
          id="campaign-name"
          className={input}
          name="name"
          value={name}
          onChange={(e) => setName(e.target.value)}
          required
        />
        <FieldError errors={fieldErrors?.name} />
      </div>

      <div className="grid grid-cols-2 gap-4">
        <div>
          <label htmlFor="campaign-sender" className={labelText}>
            Sender ID
          </label>
          <input
            id="campaign-sender"
            className={input}
            name="senderId"
            list="sender-ids"
            value={senderId}
            onChange={(e) => setSenderId(e.target.value)}
            required
          />
          <datalist id="sender-ids">
            {client?.senderIds.map((s) => (
              <option key={s.value} value={s.value} />
            ))}
          </datalist>
          <FieldError errors={fieldErrors?.senderId} />
        </div>
        <div>
          <label htmlFor="campaign-category" className={labelText}>
            Category
          </label>
          <select
            id="campaign-category"
            className={input}
            name="category"
            value={category}
            onChange={(e) => setCategory(e.target.value as Category)}
          >
            <option value="MARKETING">Marketing</option>
            <option value="AUTHENTICATION">Authentication</option>
            <option value="AGENT_FLOW">Agent flow</option>
          </select>
        </div>
      </div>

      <div>
        <label htmlFor="campaign-template" className={labelText}>
          Message
        </label>
        <textarea
          id="campaign-template"
          className={input}
          name="template"
          rows={4}
          value={template}
          onChange={(e) => setTemplate(e.target.value)}
          required
        />
        <SegmentCounter
          template={template}
          smartEncoding={client?.smartEncoding ?? true}
          maxSegments={client?.maxSegments}
        />
        {columns.length > 0 && (
          <span className={hint} data-testid="template-variables">
            Variables:{" "}
            {columns.map((column) => (
              <button
                key={column}
                type="button"
                className="mr-1 rounded bg-slate-100 px-1.5 py-0.5 font-mono text-slate-700 hover:bg-slate-200"
                onClick={() => setTemplate((t) => `${t}{{${column}}}`)}
              >
                {`{{${column}}}`}
              </button>
            ))}
          </span>
        )}
        <FieldError errors={fieldErrors?.template} />
      </div>

      <fieldset className="space-y-3">
        <div className="flex items-center justify-between">
          <span className="text-sm font-medium">Recipient list</span>
          <div className="inline-flex overflow-hidden rounded-md border border-slate-300 text-sm">
            {(
              [
                ["paste", "Paste numbers"],
                ["upload", "Upload CSV"],
              ] as const
            ).map(([value, text]) => (
              <label
                key={value}
                className={`relative cursor-pointer px-3 py-1.5 focus-within:ring-2 focus-within:ring-inset focus-within:ring-indigo-400 ${source === value ? "bg-indigo-600 text-white" : "bg-white text-slate-700 hover:bg-slate-50"}`}
              >
                <input
                  type="radio"
                  name="recipientSource"
                  value={value}
                  // Transparent over the whole label rather than sr-only, so that it is what gets clicked.
                  className="absolute inset-0 cursor-pointer appearance-none opacity-0"
                  checked={source === value}
                  onChange={() => setSource(value)}
                />
                {text}
              </label>
            ))}
          </div>
        </div>
        {source === "paste" ? (
          <label className={labelText}>
            Recipients
            <textarea
              className={`${input} font-mono`}
              name="recipients"
              rows={6}
              placeholder={"+447911123401\n+447911123402"}
              value={pasted}
              onChange={(e) => setPasted(e.target.value)}
              required
            />
            <span className="text-xs font-normal text-slate-500">
              {pastedCount.toLocaleString("en-US")} recipients · one per line, or separated by commas
            </span>
          </label>
        ) : (
          <div>
            <label htmlFor="campaign-csv" className={labelText}>
              CSV file
            </label>
            <input
              id="campaign-csv"
              type="file"
              accept=".csv,.txt,text/csv"
              className="mt-1 block w-full text-sm file:mr-3 file:rounded-md file:border-0 file:bg-slate-100 file:px-3 file:py-2 file:text-sm file:font-medium hover:file:bg-slate-200"
              onChange={(e) => {
                const file = e.target.files?.[0];
                if (file) upload.mutate(file);
                else upload.reset();
              }}
            />
            <span className={hint}>
              A header row with a phone column (phone, msisdn, mobile, number or to); other columns become{" "}
              {"{{variables}}"}.
            </span>
            {upload.isPending && <p className="mt-2 text-sm text-slate-500">Uploading and checking…</p>}
            {upload.error && (
              <p role="alert" className="mt-2 text-sm text-red-600" data-testid="upload-error">
                {upload.error.message}
              </p>
            )}
            {uploaded && <UploadSummaryView summary={uploaded} />}
          </div>
        )}
        <FieldError errors={fieldErrors?.recipients} />
      </fieldset>

      <fieldset className="space-y-4 border-t border-slate-100 pt-5">
        <div className="grid grid-cols-2 gap-4">
          <div>
            <label htmlFor="campaign-start" className={labelText}>
              Start at
            </label>
            <input
              id="campaign-start"
              type="datetime-local"
              className={input}
              value={startAt}
              onChange={(e) => setStartAt(e.target.value)}
            />
            <span className={hint}>Your local time; empty starts it when launched.</span>
            <FieldError errors={fieldErrors?.scheduledAt} />
          </div>
          <div>
            <label htmlFor="campaign-rate" className={labelText}>
              Max messages per second
            </label>
            <input
              id="campaign-rate"
              type="number"
              min={1}
              step={1}
              className={input}
              placeholder="No limit"
              value={rateLimit}
              onChange={(e) => setRateLimit(e.target.value)}
            />
            <FieldError errors={fieldErrors?.rateLimitPerSecond} />
          </div>
        </div>
        <div>
          <label className="flex items-center gap-2 text-sm">
            <input type="checkbox" checked={allowDefer} onChange={(e) => setAllowDefer(e.target.checked)} />
            Hold marketing outside the client&apos;s quiet hours (otherwise reject)
          </label>
          {client && (
            <span className={`${hint} ml-6`}>
              {client.quietHoursStart && client.quietHoursEnd
                ? `${client.name}: quiet hours ${client.quietHoursStart}–${client.quietHoursEnd} (${client.timezone})`
                : `${client.name} has no quiet hours`}
            </span>
          )}
        </div>
      </fieldset>

      {create.error && !fieldErrors && (
        <p role="alert" className="text-sm text-red-600">
          {create.error.message}
        </p>
      )}
      <button
        type="submit"
        disabled={create.isPending || upload.isPending || isUploadMissing}
        className="rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white hover:bg-indigo-500 disabled:opacity-50"
      >
        {create.isPending ? "Saving…" : "Create campaign"}
      </button>
    </form>
  );
}

function SegmentCounter({
  template,
  smartEncoding,
  maxSegments,
}: {
  template: string;
  smartEncoding: boolean;
  maxSegments?: number;
}) {
  // Counted on the template as typed: {{variables}} change the real length.
  const analysis = analyzeText(template, { smartEncoding });
  const characters = Array.from(template).length;
  const isOverLimit = maxSegments !== undefined && analysis.segments > maxSegments;
  return (
    <span className={hint} data-testid="segment-counter">
      {characters.toLocaleString("en-US")} characters · {analysis.encoding === "GSM7" ? "GSM-7" : "UCS-2"} ·{" "}
      {analysis.segments} {analysis.segments === 1 ? "segment" : "segments"}
      {isOverLimit && <span className="text-amber-700"> · over this client&apos;s limit of {maxSegments}</span>}
    </span>
  );
}

function UploadSummaryView({ summary }: { summary: UploadSummary }) {
  const shown = summary.rowErrors.slice(0, ROW_ERRORS_SHOWN);
  return (
    <div className="mt-2 rounded-md border border-slate-200 bg-slate-50 p-3 text-sm" data-testid="upload-summary">
      <p className="font-medium">{summary.fileName}</p>
      <p className="text-slate-600">
        {summary.rowCount.toLocaleString("en-US")} rows · {summary.validRowCount.toLocaleString("en-US")} valid ·{" "}
        <span className={summary.invalidRowCount > 0 ? "text-amber-700" : undefined}>
          {summary.invalidRowCount.toLocaleString("en-US")} invalid
        </span>
      </p>
      <p className="text-slate-600">
        Columns: {summary.columns.join(", ")} · phone column: <span className="font-mono">{summary.phoneColumn}</span>
      </p>
      {shown.length > 0 && (
        <ul className="mt-1 list-inside list-disc text-xs text-amber-800">
          {shown.map((e) => (
            <li key={e.row}>
              row {e.row} (line {e.line}): {e.error}
            </li>
          ))}
          {summary.invalidRowCount > shown.length && (
            <li className="list-none text-slate-500">
              …and {(summary.invalidRowCount - shown.length).toLocaleString("en-US")} more invalid rows (skipped when
              sending)
            </li>
          )}
        </ul>
      )}
    </div>
  );
}

function FieldError({ errors }: { errors?: string[] }) {
  if (!errors?.length) return null;
  return <span className="mt-1 block text-xs text-red-600">{errors.join(", ")}</span>;
}
