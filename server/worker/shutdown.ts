import type { Logger } from "pino";

type Step = { name: string; run: () => Promise<unknown> };

/**
 * Runs registered steps in order on SIGTERM/SIGINT (or on demand), once,
 * within a deadline. Register in start-up order: consumers first, then the
 * producer, Redis, the database.
 */
export class ShutdownManager {
  private steps: Step[] = [];
  private running: Promise<void> | undefined;

  constructor(
    private readonly log: Logger,
    private readonly deadlineMs = 30_000,
  ) {}

  add(name: string, run: () => Promise<unknown>): void {
    this.steps.push({ name, run });
  }

  listen(exit: (code: number) => void = (code) => process.exit(code)): void {
    const onSignal = (signal: NodeJS.Signals) => {
      this.log.info({ signal }, "shutting down");
      void this.shutdown().then(
        () => exit(0),
        () => exit(1),
      );
    };
    process.once("SIGTERM", onSignal);
    process.once("SIGINT", onSignal);
  }

  /** Safe to call twice: the second call waits for the first. */
  shutdown(): Promise<void> {
    this.running ??= this.runSteps();
    return this.running;
  }

  private async runSteps(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`shutdown took longer than ${this.deadlineMs} ms`)), this.deadlineMs);
      timer.unref();
    });
    try {
      await Promise.race([
        (async () => {
          for (const step of this.steps) {
            try {
              await step.run();
              this.log.info({ step: step.name }, "shutdown step done");
            } catch (err) {
              this.log.error({ err, step: step.name }, "shutdown step failed");
            }
          }
        })(),
        deadline,
      ]);
    } catch (err) {
      this.log.error({ err }, "shutdown deadline passed");
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }
}
