import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import {
  ENVIRONMENT_JSON_SCHEMA_PATH,
  environmentJsonSchema,
  environmentJsonSchemaText,
} from "../../src/environment/index.js";

const REPO = resolve(import.meta.dirname, "..", "..");

describe("schema/environment.schema.json", () => {
  it("is up to date with src/environment/schema.ts (regenerate: npx jiti scripts/generate-environment-schema.ts)", () => {
    const committed: unknown = JSON.parse(readFileSync(join(REPO, ENVIRONMENT_JSON_SCHEMA_PATH), "utf8"));
    expect(committed).toEqual(JSON.parse(environmentJsonSchemaText()));
  });

  it("describes a hand-written environment: required fields, defaults, closed objects", () => {
    const schema = environmentJsonSchema() as {
      required: string[];
      additionalProperties: boolean;
      properties: Record<string, { properties?: Record<string, { default?: unknown }> }>;
    };
    expect(schema.required).toEqual(["name", "prefix", "network"]);
    expect(schema.additionalProperties).toBe(false);
    for (const field of [
      "name",
      "prefix",
      "servers",
      "agents",
      "network",
      "ssh",
      "libvirt",
      "pool",
      "flatcar",
      "k3s",
      "nodes",
    ]) {
      expect(schema.properties[field], field).toBeDefined();
    }
    expect(schema.properties.libvirt?.properties?.uri?.default).toBe("qemu:///system");
    expect(schema.properties.servers?.properties?.firstHost?.default).toBe(10);
    expect(schema.properties.agents?.properties?.firstHost?.default).toBe(20);
    expect(schema.properties.k3s?.properties?.disable?.default).toEqual(["traefik", "servicelb"]);
    expect(schema.properties.k3s?.properties?.flannelBackend?.default).toBe("host-gw");
  });
});
