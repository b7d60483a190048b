// PostGraphile 5 (amber preset) over accord's tables, for the http benchmark's W1 (bench/http_reads/
// postgraphile.py). DATABASE_URL and PORT come from the environment; no GraphiQL, no explain.
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { makePgService } from "postgraphile/adaptors/pg";

export default {
  extends: [PostGraphileAmberPreset],
  pgServices: [makePgService({ connectionString: process.env.DATABASE_URL, schemas: ["public"] })],
  grafserv: { host: "127.0.0.1", port: Number(process.env.PORT), graphiql: false },
  grafast: { explain: false },
};
