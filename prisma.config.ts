import path from "node:path";
import { defineConfig } from "prisma/config";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";

// prisma/prisma#27403: the wasm schema engine cannot read columns of type
// `name` (oid 19) or `"char"` (oid 18) from the catalog; reporting them as
// text (oid 25) makes `migrate deploy` work. Only the CLI process is patched.
type FieldsPatch = { addFields(fields: { dataTypeID: number }[]): void };
const result = pg.Result.prototype as unknown as FieldsPatch;
const addFields = result.addFields;
result.addFields = function (fields) {
  for (const field of fields) {
    if (field.dataTypeID === 19 || field.dataTypeID === 18) field.dataTypeID = 25;
  }
  return addFields.call(this, fields);
};

// The CLI's built-in wasm schema engine (engine: "js") lets `migrate deploy`
// run with no downloaded binary. This file is CLI-only, so it reads the
// environment directly rather than through server/env.ts.
const connectionString = process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/volley";
process.env.DATABASE_URL = connectionString;

// The adapter runs a migration by splitting it on every ";" (dollar-quoted
// function bodies included) and sending the pieces one by one outside any
// transaction. Sent whole instead, as one simple query, a migration is parsed
// by Postgres itself and runs in one implicit transaction: all or nothing.
type ScriptRunner = {
  executeScript(script: string): Promise<void>;
  underlyingDriver(): { query(sql: string): Promise<unknown> };
  onError(err: unknown): never;
};
function adapterFactory() {
  const factory = new PrismaPg({ connectionString });
  const connect = factory.connect.bind(factory);
  factory.connect = async () => {
    const adapter = await connect();
    const runner = adapter as unknown as ScriptRunner;
    runner.executeScript = async (script) => {
      await runner
        .underlyingDriver()
        .query(script)
        .catch((err: unknown) => runner.onError(err));
    };
    return adapter;
  };
  return factory;
}

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: path.join("prisma", "schema.prisma"),
  migrations: { path: path.join("prisma", "migrations"), seed: "tsx prisma/seed.ts" },
  adapter: async () => adapterFactory(),
});
