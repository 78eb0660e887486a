import type { Logger } from "pino";
import type {
  DeliveryProvider,
  DeliveryReceipt,
  InboundSms,
  OutboundSms,
  ProviderStatus,
  SettleReceipt,
  SubmitResult,
  WriteGate,
} from "../provider";
import { SmppProvider } from "../smpp/client";
import { smppProviderSettingsSchema } from "./schemas";

/** A providers row of kind SMPP as a DeliveryProvider: its bind_transceiver sessions (smpp/client.ts). */
export class SmppDeliveryProvider implements DeliveryProvider {
  readonly kind = "SMPP" as const;
  readonly client: SmppProvider;

  constructor(
    readonly id: string,
    readonly name: string,
    maxTps: number,
    settings: unknown,
    log: Logger,
  ) {
    const s = smppProviderSettingsSchema.parse(settings);
    this.client = new SmppProvider({ ...stripUndefined(s), name, maxTps }, log);
  }

  start(): void {
    this.client.start();
  }

  submit(message: OutboundSms, gate?: WriteGate): Promise<SubmitResult> {
    return this.client.submit(message, gate);
  }

  status(): ProviderStatus {
    return {
      state: this.client.state,
      binds: this.client.config.binds,
      bindsBound: this.client.bindsBound,
      windowInUse: this.client.windowInUse,
      windowSize: this.client.config.windowSize * this.client.config.binds,
      maxTps: this.client.config.maxTps,
      queued: this.client.queued,
    };
  }

  on(event: "receipt", listener: (receipt: DeliveryReceipt, settle: SettleReceipt) => void): this;
  on(event: "inbound", listener: (sms: InboundSms, settle: SettleReceipt) => void): this;
  on(event: "receipt" | "inbound", listener: (value: never, settle: SettleReceipt) => void): this {
    if (event === "receipt") this.client.on(event, listener as (r: DeliveryReceipt, settle: SettleReceipt) => void);
    else this.client.on(event, listener as (sms: InboundSms, settle: SettleReceipt) => void);
    return this;
  }

  stop(drainMs?: number): Promise<void> {
    return this.client.stop(drainMs);
  }
}

function stripUndefined<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
