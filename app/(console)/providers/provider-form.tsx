"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import type { ProviderView } from "@/server/delivery/admin/service";
import { useTRPC } from "../../_trpc/react";
import { errorText, hint, input, labelText, primaryButton, smallButton } from "../../_components/ui";

type Kind = "SMPP" | "HTTP";

type Form = {
  name: string;
  kind: Kind;
  enabled: boolean;
  maxTps: string;
  host: string;
  port: string;
  systemId: string;
  password: string;
  binds: string;
  windowSize: string;
  url: string;
  authHeader: string;
  authValue: string;
  fieldMapping: string;
  receiptToken: string;
};

const str = (v: unknown, fallback = "") => (typeof v === "string" || typeof v === "number" ? String(v) : fallback);

function formOf(p: ProviderView | null): Form {
  const s = p?.settings ?? {};
  return {
    name: p?.name ?? "",
    kind: p?.kind ?? "SMPP",
    enabled: p?.enabled ?? true,
    maxTps: String(p?.maxTps ?? 0),
    host: str(s.host),
    port: str(s.port, "2775"),
    systemId: str(s.systemId),
    // Secrets are never sent to the browser: empty means "keep what is stored".
    password: "",
    binds: str(s.binds, "1"),
    windowSize: str(s.windowSize, "50"),
    url: str(s.url),
    authHeader: str(s.authHeader, "Authorization"),
    authValue: "",
    fieldMapping: s.fieldMapping ? JSON.stringify(s.fieldMapping, null, 2) : "{}",
    receiptToken: "",
  };
}

/** The settings object for the kind; fields the form does not show are kept from the stored provider. */
function settingsOf(form: Form, provider: ProviderView | null): Record<string, unknown> {
  const kept = provider && provider.kind === form.kind ? provider.settings : {};
  if (form.kind === "SMPP")
    return {
      ...kept,
      host: form.host.trim(),
      port: Number(form.port),
      systemId: form.systemId.trim(),
      password: form.password,
      binds: Number(form.binds),
      windowSize: Number(form.windowSize),
    };
  return {
    ...kept,
    url: form.url.trim(),
    authHeader: form.authHeader.trim(),
    authValue: form.authValue,
    fieldMapping: JSON.parse(form.fieldMapping || "{}") as unknown,
    receiptToken: form.receiptToken,
  };
}

export function ProviderForm({ provider, onDone }: { provider: ProviderView | null; onDone: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [form, setForm] = useState(() => formOf(provider));
  const [localError, setLocalError] = useState<string | null>(null);
  const refresh = () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: trpc.providers.list.queryKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.providers.rules.list.queryKey() }),
    ]);
  const create = useMutation(
    trpc.providers.create.mutationOptions({ onSuccess: async () => (await refresh(), onDone()) }),
  );
  const update = useMutation(
    trpc.providers.update.mutationOptions({ onSuccess: async () => (await refresh(), onDone()) }),
  );
  const pending = create.isPending || update.isPending;
  const error = localError ?? errorText(create.error ?? update.error);
  const set = <K extends keyof Form>(key: K, value: Form[K]) => {
    setLocalError(null);
    setForm((f) => ({ ...f, [key]: value }));
  };
  const keepHint = provider ? "Leave empty to keep the stored one." : undefined;

  return (
    <form
      className="rounded-lg border border-slate-200 bg-white p-6"
      aria-label={provider ? `Edit provider ${provider.name}` : "New provider"}
      onSubmit={(e) => {
        e.preventDefault();
        let settings: Record<string, unknown>;
        try {
          settings = settingsOf(form, provider);
        } catch {
          setLocalError("Field mapping: not valid JSON");
          return;
        }
        const body = { name: form.name, kind: form.kind, enabled: form.enabled, maxTps: Number(form.maxTps), settings };
        if (provider) update.mutate({ id: provider.id, ...body });
        else create.mutate(body);
      }}
    >
      <h2 className="font-medium">{provider ? `Edit ${provider.name}` : "New provider"}</h2>
      <div className="mt-4 grid gap-4 sm:grid-cols-2 lg:grid-cols-4">
        <div>
          <label htmlFor="provider-name" className={labelText}>
            Name
          </label>
          <input
            id="provider-name"
            className={input}
            value={form.name}
            onChange={(e) => set("name", e.target.value)}
            required
          />
        </div>
        <div>
          <label htmlFor="provider-kind" className={labelText}>
            Kind
          </label>
          <select
            id="provider-kind"
            className={input}
            value={form.kind}
            onChange={(e) => set("kind", e.target.value as Kind)}
          >
            <option value="SMPP">SMPP</option>
            <option value="HTTP">HTTP</option>
          </select>
        </div>
        <div>
          <label htmlFor="provider-max-tps" className={labelText}>
            Max TPS
          </label>
          <input
            id="provider-max-tps"
            type="number"
            min={0}
            step={1}
            className={input}
            value={form.maxTps}
            onChange={(e) => set("maxTps", e.target.value)}
            required
          />
          <span className={hint}>Per second{form.kind === "SMPP" ? " (segments)" : ""}; 0 = no cap.</span>
        </div>
        <label className="flex items-center gap-2 self-center text-sm font-medium">
          <input type="checkbox" checked={form.enabled} onChange={(e) => set("enabled", e.target.checked)} />
          Enabled
        </label>
      </div>

      {form.kind === "SMPP" ? (
        <div className="mt-4 grid gap-4 sm:grid-cols-2 lg:grid-cols-4">
          <TextField id="provider-host" label="Host" value={form.host} onChange={(v) => set("host", v)} required />
          <TextField
            id="provider-port"
            label="Port"
            type="number"
            value={form.port}
            onChange={(v) => set("port", v)}
            required
          />
          <TextField
            id="provider-system-id"
            label="System ID"
            value={form.systemId}
            onChange={(v) => set("systemId", v)}
            required
          />
          <TextField
            id="provider-password"
            label="Password"
            type="password"
            value={form.password}
            onChange={(v) => set("password", v)}
            hint={keepHint}
          />
          <TextField
            id="provider-window"
            label="Window size"
            type="number"
            value={form.windowSize}
            onChange={(v) => set("windowSize", v)}
            hint="submit_sm awaiting a response at once, per bind."
            required
          />
          <TextField
            id="provider-binds"
            label="Binds"
            type="number"
            value={form.binds}
            onChange={(v) => set("binds", v)}
            hint="Sessions bound at once with these credentials; the max TPS is for them all."
            required
          />
        </div>
      ) : (
        <div className="mt-4 grid gap-4 sm:grid-cols-2">
          <TextField id="provider-url" label="URL" value={form.url} onChange={(v) => set("url", v)} required />
          <TextField
            id="provider-auth-header"
            label="Auth header"
            value={form.authHeader}
            onChange={(v) => set("authHeader", v)}
          />
          <TextField
            id="provider-auth-value"
            label="Auth value"
            type="password"
            value={form.authValue}
            onChange={(v) => set("authValue", v)}
            hint={keepHint}
          />
          <TextField
            id="provider-receipt-token"
            label="Receipt token"
            type="password"
            value={form.receiptToken}
            onChange={(v) => set("receiptToken", v)}
            hint={keepHint ?? "The provider sends it with delivery receipts to our webhook."}
          />
          <div className="sm:col-span-2">
            <label htmlFor="provider-field-mapping" className={labelText}>
              Field mapping (JSON)
            </label>
            <textarea
              id="provider-field-mapping"
              rows={4}
              className={`${input} font-mono`}
              value={form.fieldMapping}
              onChange={(e) => set("fieldMapping", e.target.value)}
            />
            <span className={hint}>Our field → the provider&apos;s parameter name, e.g. {'{"to": "msisdn"}'}.</span>
          </div>
        </div>
      )}

      <div className="mt-6 flex items-center gap-3">
        <button type="submit" className={primaryButton} disabled={pending}>
          {pending ? "Saving…" : provider ? "Save provider" : "Create provider"}
        </button>
        <button type="button" className={smallButton} onClick={onDone}>
          Cancel
        </button>
        {error && (
          <p role="alert" className="text-sm text-red-600">
            {error}
          </p>
        )}
      </div>
    </form>
  );
}

function TextField(props: {
  id: string;
  label: string;
  value: string;
  onChange: (value: string) => void;
  type?: "text" | "number" | "password";
  hint?: string;
  required?: boolean;
}) {
  return (
    <div>
      <label htmlFor={props.id} className={labelText}>
        {props.label}
      </label>
      <input
        id={props.id}
        type={props.type ?? "text"}
        className={input}
        value={props.value}
        onChange={(e) => props.onChange(e.target.value)}
        required={props.required}
        autoComplete={props.type === "password" ? "new-password" : "off"}
      />
      {props.hint && <span className={hint}>{props.hint}</span>}
    </div>
  );
}
