"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { useTRPC } from "../../../_trpc/react";

const input =
  "mt-1 block w-full rounded-md border border-slate-300 px-3 py-2 text-sm focus:border-indigo-500 focus:outline-none";

export function NewCampaignForm() {
  const trpc = useTRPC();
  const router = useRouter();
  const clients = useQuery(trpc.clients.list.queryOptions());
  const [clientId, setClientId] = useState("");
  const [name, setName] = useState("");
  const [senderId, setSenderId] = useState("");
  const [category, setCategory] = useState<"MARKETING" | "AUTHENTICATION" | "AGENT_FLOW">("MARKETING");
  const [template, setTemplate] = useState("");
  const [recipients, setRecipients] = useState("");
  const queryClient = useQueryClient();
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
  const recipientCount = recipients.split(/[\r\n,;]+/).filter((s) => s.trim()).length;

  return (
    <form
      className="mt-6 max-w-2xl space-y-5 rounded-lg border border-slate-200 bg-white p-6"
      onSubmit={(e) => {
        e.preventDefault();
        create.mutate({ clientId, name, senderId, category, template, recipients });
      }}
    >
      <label className="block text-sm font-medium">
        Client
        <select className={input} name="client" value={clientId} onChange={(e) => setClientId(e.target.value)} required>
          <option value="">Choose a client…</option>
          {clients.data?.map((c) => (
            <option key={c.id} value={c.id}>
              {c.name} ({c.billingType.toLowerCase()})
            </option>
          ))}
        </select>
      </label>
      <label className="block text-sm font-medium">
        Campaign name
        <input className={input} name="name" value={name} onChange={(e) => setName(e.target.value)} required />
        <FieldError errors={fieldErrors?.name} />
      </label>
      <div className="grid grid-cols-2 gap-4">
        <label className="block text-sm font-medium">
          Sender ID
          <input
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
        </label>
        <label className="block text-sm font-medium">
          Category
          <select
            className={input}
            name="category"
            value={category}
            onChange={(e) => setCategory(e.target.value as typeof category)}
          >
            <option value="MARKETING">Marketing</option>
            <option value="AUTHENTICATION">Authentication</option>
            <option value="AGENT_FLOW">Agent flow</option>
          </select>
        </label>
      </div>
      <label className="block text-sm font-medium">
        Message
        <textarea
          className={input}
          name="template"
          rows={3}
          value={template}
          onChange={(e) => setTemplate(e.target.value)}
          required
        />
        <span className="text-xs text-slate-500">{template.length} characters</span>
        <FieldError errors={fieldErrors?.template} />
      </label>
      <label className="block text-sm font-medium">
        Recipients
        <textarea
          className={`${input} font-mono`}
          name="recipients"
          rows={6}
          placeholder={"+447911123401\n+447911123402"}
          value={recipients}
          onChange={(e) => setRecipients(e.target.value)}
          required
        />
        <span className="text-xs text-slate-500">
          {recipientCount.toLocaleString()} recipients · one per line, or separated by commas
        </span>
        <FieldError errors={fieldErrors?.recipients} />
      </label>
      {create.error && !fieldErrors && (
        <p role="alert" className="text-sm text-red-600">
          {create.error.message}
        </p>
      )}
      <button
        type="submit"
        disabled={create.isPending}
        className="rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white hover:bg-indigo-500 disabled:opacity-50"
      >
        {create.isPending ? "Saving…" : "Create campaign"}
      </button>
    </form>
  );
}

function FieldError({ errors }: { errors?: string[] }) {
  if (!errors?.length) return null;
  return <span className="mt-1 block text-xs text-red-600">{errors.join(", ")}</span>;
}
