import { spawn } from "node:child_process";
import { once } from "node:events";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { closeDb, createDb } from "../../server/db";
import { env } from "../../server/env";
import { createUploadFromStream, readUploadRows } from "../../server/uploads/service";

// Recipient-file throughput and memory: generates a CSV (phone,name,code),
// uploads it with createUploadFromStream against DATABASE_URL, then streams
// every row back with readUploadRows. Each phase runs in its own child
// process so that its peak RSS (VmHWM) is its own, not the generator's.
//
//   npm run bench:csv -- --rows 1000000
//
// Children inherit NODE_OPTIONS: NODE_OPTIONS=--max-old-space-size=64 shows
// how much of the peak is live memory rather than V8 growing its heap lazily.

// baselineRssMb: the child's peak RSS once connected and warmed up, before the
// work (Node + tsx's loader thread + pg/Prisma); peakRssMb: at the end.
type UploadResult = {
  uploadId: string;
  rows: number;
  validRows: number;
  bytes: number;
  seconds: number;
  baselineRssMb: number;
  peakRssMb: number;
};
type ReadResult = { rows: number; seconds: number; baselineRssMb: number; peakRssMb: number };

const ROWS_PER_WRITE = 10_000;

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** Peak resident set size of this process, in MiB. */
async function peakRssMb(): Promise<number> {
  try {
    const status = await readFile("/proc/self/status", "utf8");
    const kb = Number(/^VmHWM:\s+(\d+)\s+kB/m.exec(status)?.[1]);
    if (kb > 0) return kb / 1024;
  } catch {
    // Not Linux: fall through.
  }
  return process.resourceUsage().maxRSS / 1024;
}

function openDb() {
  const config = env();
  return createDb({ url: config.DATABASE_URL, poolSize: 2, randomPageCost: config.DATABASE_RANDOM_PAGE_COST });
}

async function runUploadChild(file: string): Promise<UploadResult> {
  const db = openDb();
  try {
    const { size } = await stat(file);
    // Loads Prisma's query compiler, which the upload's own writes would otherwise count.
    await db.prisma.upload.findFirst({ select: { id: true } });
    const baselineRssMb = await peakRssMb();
    const started = process.hrtime.bigint();
    const summary = await createUploadFromStream(db, createReadStream(file, { highWaterMark: 256 * 1024 }), {
      fileName: path.basename(file),
      // Throughput, not the size policy, is measured: a bigger file than the limit still goes through.
      maxBytes: Math.max(env().UPLOAD_MAX_BYTES, size),
      operatorId: null,
    });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    return {
      uploadId: summary.id,
      rows: summary.rowCount,
      validRows: summary.validRowCount,
      bytes: summary.sizeBytes,
      seconds,
      baselineRssMb,
      peakRssMb: await peakRssMb(),
    };
  } finally {
    await closeDb(db);
  }
}

async function runReadChild(uploadId: string): Promise<ReadResult> {
  const db = openDb();
  try {
    await db.pool.query("SELECT 1");
    const baselineRssMb = await peakRssMb();
    const started = process.hrtime.bigint();
    let rows = 0;
    for await (const row of readUploadRows(db.pool, uploadId)) {
      if (row.phone) rows++;
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    return { rows, seconds, baselineRssMb, peakRssMb: await peakRssMb() };
  } finally {
    await closeDb(db);
  }
}

async function generateCsv(file: string, rows: number): Promise<void> {
  const out = createWriteStream(file);
  const write = async (text: string) => {
    if (!out.write(text)) await once(out, "drain");
  };
  await write("phone,name,code\n");
  for (let start = 0; start < rows; start += ROWS_PER_WRITE) {
    const lines: string[] = [];
    for (let i = start; i < Math.min(rows, start + ROWS_PER_WRITE); i++) {
      lines.push(`+4479${String(i).padStart(8, "0")},Customer ${i},C${(i * 7919) % 100_000}`);
    }
    await write(lines.join("\n") + "\n");
  }
  out.end();
  await once(out, "finish");
}

/** Runs this script again in a child process and returns the JSON it prints last. */
async function inChild<T>(args: string[]): Promise<T> {
  const self = fileURLToPath(import.meta.url);
  // execArgv carries tsx's loader, so the child runs the TypeScript source too.
  const child = spawn(process.execPath, [...process.execArgv, self, ...args], { stdio: ["ignore", "pipe", "inherit"] });
  let stdout = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  const [code] = (await once(child, "exit")) as [number | null];
  if (code !== 0) throw new Error(`child ${args.join(" ")} exited with ${code}`);
  const last = stdout.trim().split("\n").pop() ?? "";
  return JSON.parse(last) as T;
}

function printTable(rows: string[][]) {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows)
    console.log(r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join("  "));
}

async function main() {
  const mode = argValue("--child");
  if (mode === "upload") {
    console.log(JSON.stringify(await runUploadChild(argValue("--file")!)));
    return;
  }
  if (mode === "read") {
    console.log(JSON.stringify(await runReadChild(argValue("--upload")!)));
    return;
  }

  const rows = Number(argValue("--rows") ?? 1_000_000);
  if (!Number.isInteger(rows) || rows < 1) throw new Error("--rows must be a positive integer");
  const dir = await mkdtemp(path.join(tmpdir(), "volley-bench-"));
  const file = path.join(dir, `bench-${rows}.csv`);
  let uploadId: string | undefined;
  try {
    const genStarted = Date.now();
    await generateCsv(file, rows);
    const { size } = await stat(file);
    console.log(
      `generated ${rows.toLocaleString()} rows, ${(size / 1024 / 1024).toFixed(1)} MiB in ${Date.now() - genStarted} ms`,
    );

    const upload = await inChild<UploadResult>(["--child", "upload", "--file", file]);
    uploadId = upload.uploadId;
    if (upload.rows !== rows) throw new Error(`upload counted ${upload.rows} rows, expected ${rows}`);
    const read = await inChild<ReadResult>(["--child", "read", "--upload", upload.uploadId]);
    if (read.rows !== rows) throw new Error(`read back ${read.rows} rows, expected ${rows}`);

    const mb = upload.bytes / 1024 / 1024;
    const result = {
      rows,
      uploadRowsPerSec: Math.round(rows / upload.seconds),
      uploadMbPerSec: Number((mb / upload.seconds).toFixed(1)),
      uploadPeakRssMb: Math.round(upload.peakRssMb),
      readRowsPerSec: Math.round(rows / read.seconds),
      readMbPerSec: Number((mb / read.seconds).toFixed(1)),
      readPeakRssMb: Math.round(read.peakRssMb),
    };
    console.log("");
    const phases = [
      {
        phase: "upload (store + check)",
        run: upload,
        rowsPerSec: result.uploadRowsPerSec,
        mbPerSec: result.uploadMbPerSec,
      },
      { phase: "read back", run: read, rowsPerSec: result.readRowsPerSec, mbPerSec: result.readMbPerSec },
    ];
    printTable([
      ["phase", "rows", "seconds", "rows/s", "MiB/s", "baseline RSS MiB", "peak RSS MiB"],
      ...phases.map((p) => [
        p.phase,
        rows.toLocaleString(),
        p.run.seconds.toFixed(2),
        p.rowsPerSec.toLocaleString(),
        p.mbPerSec.toFixed(1),
        String(Math.round(p.run.baselineRssMb)),
        String(Math.round(p.run.peakRssMb)),
      ]),
    ]);
    console.log(JSON.stringify(result));
  } finally {
    if (uploadId) {
      const db = openDb();
      await db.prisma.upload.delete({ where: { id: uploadId } }).catch((err: unknown) => {
        console.error(`could not delete upload ${uploadId}:`, err);
      });
      await closeDb(db);
    }
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
