import { describe, expect, it } from "vitest";
import { deriveMac } from "./mac.js";

describe("deriveMac", () => {
  it("is QEMU-prefixed, lowercase and stable across runs", () => {
    const mac = deriveMac("development", "k3s-dev-server-1");
    expect(mac).toMatch(/^52:54:00(:[0-9a-f]{2}){3}$/);
    // sha256("development/k3s-dev-server-1") starts 6228e3…: the same MAC on every machine.
    expect(mac).toBe("52:54:00:62:28:e3");
  });

  it("differs between nodes and between environments", () => {
    const macs = new Set<string>();
    for (const env of ["development", "staging", "production"]) {
      for (let i = 1; i <= 20; i++) macs.add(deriveMac(env, `n-agent-${i}`));
    }
    expect(macs.size).toBe(60);
  });
});
