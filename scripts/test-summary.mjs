// Adds up the vitest and Playwright JSON reports into one closing line.
// Arguments: names of steps that failed outside any test (type check, build).
import { existsSync, readFileSync } from "node:fs";

const failedSteps = process.argv.slice(2);
let passed = 0;
let failed = 0;

function read(path) {
  return existsSync(path) ? JSON.parse(readFileSync(path, "utf8")) : null;
}

const vitest = read("test-results/vitest.json");
if (vitest) {
  passed += vitest.numPassedTests;
  failed += vitest.numFailedTests + (vitest.numRuntimeErrorTestSuites ?? 0);
  console.log(`vitest: ${vitest.numPassedTests} passed, ${vitest.numFailedTests} failed`);
} else if (!failedSteps.includes("vitest")) {
  failedSteps.push("vitest (no report)");
}

const playwright = read("test-results/playwright.json");
if (playwright) {
  const s = playwright.stats;
  passed += s.expected + s.flaky;
  failed += s.unexpected;
  console.log(`playwright: ${s.expected + s.flaky} passed, ${s.unexpected} failed`);
} else if (!failedSteps.includes("next-build")) {
  failedSteps.push("playwright (no report)");
}

if (failedSteps.length > 0) console.log(`failed steps: ${failedSteps.join(", ")}`);
console.log(
  `total: ${passed} passed, ${failed + failedSteps.filter((s) => !["vitest", "playwright"].includes(s)).length} failed`,
);
process.exit(failed > 0 || failedSteps.length > 0 ? 1 : 0);
