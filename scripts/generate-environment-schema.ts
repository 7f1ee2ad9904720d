// Writes schema/environment.schema.json from the zod schema in src/environment/schema.ts.
// Run after changing the schema:  npx jiti scripts/generate-environment-schema.ts
// (test/environment/json-schema.test.ts fails while the committed file is out of date; it
// compares the JSON values, so formatting is left to biome.)
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ENVIRONMENT_JSON_SCHEMA_PATH, environmentJsonSchemaText } from "../src/environment/json-schema.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const target = join(root, ENVIRONMENT_JSON_SCHEMA_PATH);
mkdirSync(dirname(target), { recursive: true });
writeFileSync(target, environmentJsonSchemaText());
// Formatted like every other file of the repository, so that `npm run lint` stays clean.
spawnSync(join(root, "node_modules", ".bin", "biome"), ["format", "--write", target], { stdio: "inherit" });
process.stdout.write(`wrote ${ENVIRONMENT_JSON_SCHEMA_PATH}\n`);
