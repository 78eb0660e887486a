"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { errorText, hint, input, labelText, primaryButton } from "../../../_components/ui";
import { useTRPC } from "../../../_trpc/react";

type Answers = { stop: string | null; start: string | null; help: string | null };

const FIELDS: { key: keyof Answers; label: string; placeholder: string }[] = [
  {
    key: "stop",
    label: "Answer to STOP",
    placeholder: "Acme: you will get no more messages from us. Reply START to resubscribe.",
  },
  { key: "start", label: "Answer to START", placeholder: "Acme: you are subscribed again. Reply STOP to opt out." },
  {
    key: "help",
    label: "Answer to HELP",
    placeholder: "Acme: help at acme.example/sms or 0800 123 456. Reply STOP to opt out.",
  },
];

/** What the client sends back when a handset replies STOP, START or HELP (each charged like any message). */
export function KeywordAnswersPanel({ clientId, canEdit }: { clientId: string; canEdit: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const saved = useQuery(trpc.inbound.answers.queryOptions({ clientId }));
  const [draft, setDraft] = useState<Partial<Answers>>({});
  const save = useMutation(
    trpc.inbound.setAnswers.mutationOptions({
      onSuccess: async () => {
        setDraft({});
        await queryClient.invalidateQueries({ queryKey: trpc.inbound.answers.queryKey({ clientId }) });
      },
    }),
  );
  const value = (key: keyof Answers) => draft[key] ?? saved.data?.[key] ?? "";
  const changed = Object.keys(draft).length > 0;

  return (
    <section className="rounded-lg border border-slate-200 bg-white p-6 lg:col-span-3" data-testid="keyword-answers">
      <h2 className="font-medium">Answers to STOP, START and HELP</h2>
      <p className="mt-1 text-xs text-slate-500">
        A reply of STOP (or UNSUBSCRIBE, CANCEL, END, QUIT) opts the number out of this client at once; START opts it
        back in. The text here is sent back from the address the handset wrote to, once per keyword, and charged like
        any message. Empty: no answer.
      </p>
      <form
        className="mt-4 grid gap-4 md:grid-cols-3"
        onSubmit={(e) => {
          e.preventDefault();
          save.mutate({
            clientId,
            stop: value("stop") || null,
            start: value("start") || null,
            help: value("help") || null,
          });
        }}
      >
        {FIELDS.map((f) => (
          <div key={f.key}>
            <label htmlFor={`answer-${f.key}`} className={labelText}>
              {f.label}
            </label>
            <textarea
              id={`answer-${f.key}`}
              rows={3}
              maxLength={459}
              disabled={!canEdit}
              className={input}
              placeholder={canEdit ? f.placeholder : "none"}
              value={value(f.key)}
              onChange={(e) => setDraft({ ...draft, [f.key]: e.target.value })}
            />
            <span className={hint}>{value(f.key).length} / 459 characters</span>
          </div>
        ))}
        {canEdit && (
          <div className="md:col-span-3 flex items-center gap-3">
            <button type="submit" className={primaryButton} disabled={!changed || save.isPending}>
              {save.isPending ? "Setting…" : "Set answers"}
            </button>
            {save.isSuccess && !changed && (
              <span role="status" className="text-sm text-emerald-700">
                Answers set.
              </span>
            )}
          </div>
        )}
      </form>
      {(save.error || saved.error) && (
        <p role="alert" className="mt-2 text-sm text-red-600">
          {errorText(save.error) ?? saved.error?.message}
        </p>
      )}
    </section>
  );
}
