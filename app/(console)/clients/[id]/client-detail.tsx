"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState, type ReactNode } from "react";
import { formatMoney } from "@/server/billing/money";
import type { getClient } from "@/server/clients/service";
import { formatDateTime } from "../../../_components/format";
import { StatusBadge } from "../../../_components/status-badge";
import { useTRPC } from "../../../_trpc/react";
import { ApiKeysPanel } from "./api-keys-panel";
import { BalancePanel } from "./balance-panel";
import { KeywordAnswersPanel } from "./keyword-answers-panel";
import { WebhookPanel } from "./webhook-panel";

type Client = Awaited<ReturnType<typeof getClient>>;
type FieldErrors = Record<string, string[] | undefined> | undefined;

const inputBase =
  "block w-full rounded-md border border-slate-300 px-3 py-2 text-sm focus:border-indigo-500 focus:outline-none disabled:bg-slate-50 disabled:text-slate-500";
const input = `mt-1 ${inputBase}`;
const labelText = "block text-sm font-medium";
const hint = "mt-1 block text-xs text-slate-500";
const primaryButton =
  "rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white hover:bg-indigo-500 disabled:opacity-50";
const smallButton =
  "rounded-md border border-slate-300 px-3 py-1 text-sm text-slate-700 hover:bg-slate-50 disabled:opacity-50";

// Suggestions only: any IANA name the server's Intl knows is accepted.
const COMMON_TIMEZONES = [
  "UTC",
  "Europe/London",
  "Europe/Berlin",
  "Europe/Paris",
  "America/New_York",
  "America/Chicago",
  "America/Los_Angeles",
  "Africa/Lagos",
  "Africa/Nairobi",
  "Asia/Tokyo",
];

export function ClientDetail({ id, canEdit }: { id: string; canEdit: boolean }) {
  const trpc = useTRPC();
  const client = useQuery(trpc.clients.get.queryOptions({ id }));
  if (client.isLoading) return <p className="text-slate-500">Loading…</p>;
  if (client.error) return <p className="text-red-600">{client.error.message}</p>;
  const c = client.data!;
  const account = c.accounts[0];

  return (
    <div className="space-y-6">
      <div>
        <Link href="/clients" className="text-sm text-indigo-700 hover:underline">
          ← Clients
        </Link>
        <div className="mt-1 flex items-center gap-3">
          <h1 className="text-2xl font-semibold tracking-tight">{c.name}</h1>
          <span data-testid="client-status">
            <StatusBadge status={c.status} />
          </span>
          <Link href={`/messages?clientId=${c.id}`} className="ml-auto text-sm text-indigo-700 hover:underline">
            Messages →
          </Link>
          <Link href={`/replies?clientId=${c.id}`} className="text-sm text-indigo-700 hover:underline">
            Replies →
          </Link>
        </div>
      </div>

      <dl className="grid gap-4 sm:grid-cols-3">
        <Fact label="Billing">{c.billingType.toLowerCase()}</Fact>
        {c.billingType === "PREPAID" ? (
          <Fact label="Balance">{account ? formatMoney(account.balance, account.currency) : "—"}</Fact>
        ) : (
          <Fact label="Unbilled usage">
            {account ? formatMoney(account.unbilledUsage, account.currency) : "—"}
            {account && (
              <span className="block text-xs font-normal text-slate-500">
                of {formatMoney(c.creditLimit, account.currency)} credit limit
              </span>
            )}
          </Fact>
        )}
        <Fact label="Rate plan">
          {c.ratePlan.name}
          <span className="block text-xs font-normal text-slate-500">
            default {formatMoney(c.ratePlan.defaultPricePerSegment, c.ratePlan.currency)} per segment
          </span>
        </Fact>
      </dl>

      <div className="grid items-start gap-6 lg:grid-cols-3">
        <SettingsForm key={c.id} client={c} canEdit={canEdit} />
        <SenderIds client={c} canEdit={canEdit} />
        {account && c.billingType === "PREPAID" && <BalancePanel accountId={account.id} canEdit={canEdit} />}
        <ApiKeysPanel clientId={c.id} canEdit={canEdit} />
        <WebhookPanel clientId={c.id} canEdit={canEdit} />
        <KeywordAnswersPanel clientId={c.id} canEdit={canEdit} />
      </div>

      <p className="text-xs text-slate-500">
        Created {formatDateTime(c.createdAt)} · last changed {formatDateTime(c.updatedAt)}
      </p>
    </div>
  );
}

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="rounded-lg border border-slate-200 bg-white p-4">
      <dt className="text-xs font-semibold uppercase tracking-wide text-slate-500">{label}</dt>
      <dd className="mt-1 text-lg font-semibold tabular-nums">{children}</dd>
    </div>
  );
}

type Settings = {
  status: "ACTIVE" | "SUSPENDED";
  defaultCountry: string;
  timezone: string;
  smartEncoding: boolean;
  maxSegments: string;
  hasQuietHours: boolean;
  quietStart: string;
  quietEnd: string;
};

function settingsOf(c: Client): Settings {
  return {
    status: c.status,
    defaultCountry: c.defaultCountry,
    timezone: c.timezone,
    smartEncoding: c.smartEncoding,
    maxSegments: String(c.maxSegments),
    hasQuietHours: Boolean(c.quietHoursStart && c.quietHoursEnd),
    quietStart: c.quietHoursStart ?? "",
    quietEnd: c.quietHoursEnd ?? "",
  };
}

/** Only what the operator changed, so the audit entry says what was edited. */
function changesBetween(saved: Settings, form: Settings) {
  const quietChanged =
    form.hasQuietHours !== saved.hasQuietHours ||
    (form.hasQuietHours && (form.quietStart !== saved.quietStart || form.quietEnd !== saved.quietEnd));
  return {
    ...(form.status !== saved.status ? { status: form.status } : {}),
    ...(form.defaultCountry !== saved.defaultCountry ? { defaultCountry: form.defaultCountry } : {}),
    ...(form.timezone !== saved.timezone ? { timezone: form.timezone } : {}),
    ...(form.smartEncoding !== saved.smartEncoding ? { smartEncoding: form.smartEncoding } : {}),
    ...(form.maxSegments !== saved.maxSegments ? { maxSegments: Number(form.maxSegments) } : {}),
    ...(quietChanged
      ? { quietHours: form.hasQuietHours ? { start: form.quietStart.trim(), end: form.quietEnd.trim() } : null }
      : {}),
  };
}

function SettingsForm({ client, canEdit }: { client: Client; canEdit: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [form, setForm] = useState(() => settingsOf(client));
  const update = useMutation(
    trpc.clients.update.mutationOptions({
      // Awaited so the success notice appears once the page shows the saved values.
      onSuccess: () =>
        Promise.all([
          queryClient.invalidateQueries({ queryKey: trpc.clients.get.queryKey({ id: client.id }) }),
          queryClient.invalidateQueries({ queryKey: trpc.clients.list.queryKey() }),
        ]),
    }),
  );
  const changes = changesBetween(settingsOf(client), form);
  const isDirty = Object.keys(changes).length > 0;
  const fieldErrors = update.error?.data?.zodError?.fieldErrors as FieldErrors;
  const set = <K extends keyof Settings>(key: K, value: Settings[K]) => {
    // An error or notice is about what was sent; once the form changes it no longer applies.
    if (!update.isPending) update.reset();
    setForm((f) => ({ ...f, [key]: value }));
  };

  return (
    <form
      className="rounded-lg border border-slate-200 bg-white p-6 lg:col-span-2"
      onSubmit={(e) => {
        e.preventDefault();
        update.mutate({ id: client.id, ...changes });
      }}
    >
      <h2 className="font-medium">Settings</h2>
      <fieldset disabled={!canEdit} className="mt-4 space-y-5">
        <div className="grid gap-4 sm:grid-cols-2">
          <div>
            <label htmlFor="client-status" className={labelText}>
              Status
            </label>
            <select
              id="client-status"
              className={input}
              value={form.status}
              onChange={(e) => set("status", e.target.value as Settings["status"])}
            >
              <option value="ACTIVE">Active</option>
              <option value="SUSPENDED">Suspended</option>
            </select>
            <span className={hint}>A suspended client&apos;s messages are rejected.</span>
            <FieldError errors={fieldErrors?.status} />
          </div>
          <div>
            <label htmlFor="client-country" className={labelText}>
              Default country
            </label>
            <input
              id="client-country"
              className={`${input} uppercase`}
              maxLength={2}
              value={form.defaultCountry}
              onChange={(e) => set("defaultCountry", e.target.value.toUpperCase())}
              required
            />
            <span className={hint}>Two letters (GB, US…); used for numbers without a +country code.</span>
            <FieldError errors={fieldErrors?.defaultCountry} />
          </div>
          <div>
            <label htmlFor="client-timezone" className={labelText}>
              Timezone
            </label>
            <input
              id="client-timezone"
              className={input}
              list="timezones"
              value={form.timezone}
              onChange={(e) => set("timezone", e.target.value)}
              required
            />
            <datalist id="timezones">
              {COMMON_TIMEZONES.map((tz) => (
                <option key={tz} value={tz} />
              ))}
            </datalist>
            <span className={hint}>IANA name; quiet hours are in this timezone.</span>
            <FieldError errors={fieldErrors?.timezone} />
          </div>
          <div>
            <label htmlFor="client-max-segments" className={labelText}>
              Max segments
            </label>
            <input
              id="client-max-segments"
              type="number"
              min={1}
              max={255}
              step={1}
              className={input}
              value={form.maxSegments}
              onChange={(e) => set("maxSegments", e.target.value)}
              required
            />
            <span className={hint}>Longer messages are rejected.</span>
            <FieldError errors={fieldErrors?.maxSegments} />
          </div>
        </div>

        <div>
          <label className="flex items-center gap-2 text-sm font-medium">
            <input
              type="checkbox"
              checked={form.smartEncoding}
              onChange={(e) => set("smartEncoding", e.target.checked)}
            />
            Smart encoding
          </label>
          <span className={`${hint} ml-6`}>
            Replaces curly quotes, dashes and similar with GSM-7 look-alikes, so messages take fewer segments.
          </span>
          <FieldError errors={fieldErrors?.smartEncoding} />
        </div>

        <div className="border-t border-slate-100 pt-5">
          <span className={labelText}>Quiet hours</span>
          <span className={hint}>No marketing goes out between these local times; 21:00 to 08:00 spans midnight.</span>
          <label className="mt-3 flex items-center gap-2 text-sm">
            <input
              type="checkbox"
              checked={!form.hasQuietHours}
              onChange={(e) => set("hasQuietHours", !e.target.checked)}
            />
            No quiet hours
          </label>
          <div className="mt-3 flex items-end gap-3">
            <div className="w-32">
              <label htmlFor="client-quiet-start" className={labelText}>
                From
              </label>
              <input
                id="client-quiet-start"
                className={`${input} font-mono`}
                placeholder="HH:MM"
                inputMode="numeric"
                disabled={!form.hasQuietHours}
                value={form.quietStart}
                onChange={(e) => set("quietStart", e.target.value)}
              />
            </div>
            <span className="pb-2 text-slate-400">–</span>
            <div className="w-32">
              <label htmlFor="client-quiet-end" className={labelText}>
                Until
              </label>
              <input
                id="client-quiet-end"
                className={`${input} font-mono`}
                placeholder="HH:MM"
                inputMode="numeric"
                disabled={!form.hasQuietHours}
                value={form.quietEnd}
                onChange={(e) => set("quietEnd", e.target.value)}
              />
            </div>
            <span className="pb-2 text-sm text-slate-500">{client.timezone}</span>
          </div>
          <FieldError errors={fieldErrors?.quietHours} />
        </div>
      </fieldset>

      {canEdit && (
        <div className="mt-6 flex items-center gap-4">
          <button type="submit" disabled={update.isPending || !isDirty} className={primaryButton}>
            {update.isPending ? "Saving…" : "Save"}
          </button>
          {update.error && !fieldErrors && (
            <p role="alert" className="text-sm text-red-600">
              {update.error.message}
            </p>
          )}
          {fieldErrors && (
            <p role="alert" className="text-sm text-red-600">
              Check the fields marked above.
            </p>
          )}
          {update.isSuccess && !isDirty && (
            <p role="status" className="text-sm text-emerald-700">
              Saved.
            </p>
          )}
        </div>
      )}
    </form>
  );
}

function SenderIds({ client, canEdit }: { client: Client; canEdit: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [value, setValue] = useState("");
  const refresh = () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: trpc.clients.get.queryKey({ id: client.id }) }),
      queryClient.invalidateQueries({ queryKey: trpc.clients.list.queryKey() }),
    ]);
  const add = useMutation(
    trpc.clients.addSenderId.mutationOptions({
      onSuccess: async () => {
        await refresh();
        setValue("");
      },
    }),
  );
  const remove = useMutation(trpc.clients.removeSenderId.mutationOptions({ onSettled: refresh }));
  const addErrors = (add.error?.data?.zodError?.fieldErrors as FieldErrors)?.value;
  const error = (add.error && !addErrors ? add.error : null) ?? remove.error;

  return (
    <section className="rounded-lg border border-slate-200 bg-white p-6" data-testid="sender-ids">
      <h2 className="font-medium">Sender IDs</h2>
      <ul className="mt-3 divide-y divide-slate-100 text-sm">
        {client.senderIds.map((s) => (
          <li key={s.value} className="flex items-center justify-between gap-3 py-2">
            <span className="font-mono">
              {s.value}
              {s.status !== "APPROVED" && (
                <span className="ml-2 font-sans">
                  <StatusBadge status={s.status} />
                </span>
              )}
            </span>
            {canEdit && (
              <button
                type="button"
                aria-label={`Remove ${s.value}`}
                disabled={remove.isPending && remove.variables?.value === s.value}
                onClick={() => remove.mutate({ clientId: client.id, value: s.value })}
                className={smallButton}
              >
                Remove
              </button>
            )}
          </li>
        ))}
        {client.senderIds.length === 0 && <li className="py-2 text-slate-500">None yet.</li>}
      </ul>
      {canEdit && (
        <form
          className="mt-4 border-t border-slate-100 pt-4"
          onSubmit={(e) => {
            e.preventDefault();
            add.mutate({ clientId: client.id, value });
          }}
        >
          <label htmlFor="sender-id-new" className={labelText}>
            New sender ID
          </label>
          <div className="mt-1 flex gap-2">
            <input
              id="sender-id-new"
              className={`${inputBase} font-mono`}
              placeholder="BRAND"
              value={value}
              onChange={(e) => setValue(e.target.value)}
              required
            />
            <button type="submit" disabled={add.isPending} className={primaryButton}>
              Add
            </button>
          </div>
          <span className={hint}>Up to 11 letters and digits, or a phone number.</span>
          <FieldError errors={addErrors} />
        </form>
      )}
      {error && (
        <p role="alert" className="mt-2 text-sm text-red-600">
          {error.message}
        </p>
      )}
    </section>
  );
}

function FieldError({ errors }: { errors?: string[] }) {
  if (!errors?.length) return null;
  return <span className="mt-1 block text-xs text-red-600">{errors.join(", ")}</span>;
}
