import { describe, expect, it } from "vitest";
import { locateFields } from "./locate.js";

const BODY = `{
  name: "lab",
  "network": { cidr: "x" },
  agents: {
    count: 2,
  },
  ssh: { authorizedKeys: ["a", "b"] },
}`;

describe("locateFields", () => {
  it.each([
    ["export default { … }", `export default ${BODY};\n`, 0],
    ["satisfies", `import type { X } from "y";\nexport default ${BODY} satisfies X;\n`, 1],
    ["as const in parentheses", `export default (${BODY} as const);\n`, 0],
    [
      "a helper call",
      `import { defineEnvironment } from "z";\nexport default defineEnvironment(${BODY});\n`,
      1,
    ],
    ["a variable", `const env = ${BODY};\n\nexport default env;\n`, 0],
  ])("follows %s", async (_name, source, offset) => {
    const [count, cidr, key, missing, absent] = await locateFields(source, "env.ts", [
      ["agents", "count"],
      ["network", "cidr"],
      ["ssh", "authorizedKeys", 1],
      ["agents", "vcpu"],
      ["nope", "deeper"],
    ]);
    expect(count).toEqual({ line: 5 + offset, column: 5 });
    expect(cidr?.line).toBe(3 + offset);
    expect(key?.line).toBe(7 + offset);
    expect(key?.column).toBe(32);
    // A missing field points at its nearest existing parent; an unknown branch at the root.
    expect(missing?.line).toBe(4 + offset);
    expect(absent?.line).toBe(1 + offset);
  });

  it("reads JSON", async () => {
    const [position] = await locateFields('{\n  "agents": {\n    "count": -1\n  }\n}\n', "env.json", [
      ["agents", "count"],
    ]);
    expect(position).toEqual({ line: 3, column: 5 });
  });
});
