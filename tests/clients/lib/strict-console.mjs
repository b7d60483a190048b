// Every warning a client library prints is a failure: the client tests install this first, and
// end with `finish(summary)`, which prints the summary as one JSON line and exits 1 if anything
// was written to console.warn or console.error (Apollo's cache warnings, urql's graphcache
// warnings, ...).
import { readFileSync } from "node:fs";
import { format } from "node:util";

const warnings = [];
for (const level of ["warn", "error"]) {
  const original = console[level].bind(console);
  console[level] = (...args) => {
    warnings.push(`${level}: ${format(...args)}`);
    original(...args);
  };
}

export function finish(summary) {
  process.stdout.write(JSON.stringify({ ...summary, warnings }) + "\n");
  process.exit(warnings.length === 0 ? 0 : 1);
}

export function fail(error) {
  process.stderr.write(`failed: ${error?.stack ?? error}\n`);
  process.stdout.write(JSON.stringify({ failed: String(error?.message ?? error), warnings }) + "\n");
  process.exit(1);
}

/** The operations of docs/queries/, by file name: the clients run the documented examples. */
export function documented(name) {
  return readFileSync(new URL(`../../../docs/queries/${name}.graphql`, import.meta.url), "utf8");
}

export function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
