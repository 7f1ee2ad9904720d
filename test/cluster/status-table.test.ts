import { describe, expect, it } from "vitest";
import { flatcarVersionOf, statusColumns, statusRows } from "../../src/cluster/index.js";
import { fakeNode } from "./fake-kube-api.js";

describe("flatcarVersionOf", () => {
  const cases: readonly (readonly [string | undefined, string | undefined])[] = [
    ["Flatcar Container Linux by Kinvolk 4230.2.3 (Oklo)", "4230.2.3"],
    ["Flatcar Container Linux by Kinvolk 4459.0.0 (Oklo)", "4459.0.0"],
    ["Debian GNU/Linux 12 (bookworm)", "Debian GNU/Linux 12 (bookworm)"],
    [undefined, undefined],
  ];
  for (const [osImage, version] of cases) {
    it(`${osImage ?? "(none)"} → ${version ?? "(none)"}`, () =>
      expect(flatcarVersionOf(osImage)).toBe(version));
  }
});

describe("statusRows", () => {
  const plan = [
    { name: "s1", role: "server" as const, address: "10.0.0.10" },
    { name: "a1", role: "agent" as const, address: "10.0.0.20" },
  ];
  it("marks a cordoned node and an unregistered one", () => {
    const cordoned = fakeNode("s1", "True");
    cordoned.spec = { unschedulable: true };
    const rows = statusRows(plan, new Map([["s1", "running"]]), [cordoned]);
    expect(rows.map((r) => [r.vm, r.kubernetes, r.k3s])).toEqual([
      ["running", "Ready,SchedulingDisabled", "v1.34.2+k3s1"],
      ["unknown", "not registered", "-"],
    ]);
  });
  it("is all unknown when neither source could be read", () => {
    expect(
      statusRows(plan, undefined, undefined).every(
        (r) => r.vm === "unknown" && r.kubernetes === "unknown" && r.flatcar === "unknown",
      ),
    ).toBe(true);
  });
});

describe("statusColumns", () => {
  it.each([
    [false, ["NODE", "ROLE", "ADDRESS", "VM", "KUBERNETES", "K3S", "FLATCAR"]],
    [true, ["NODE", "ROLE", "HOST", "ADDRESS", "VM", "KUBERNETES", "K3S", "FLATCAR"]],
  ])("several hosts %s: %j", (multiHost, titles) => {
    expect(statusColumns(multiHost).map(([, title]) => title)).toEqual(titles);
  });
  it("fills the host from the plan, default without hosts", () => {
    const rows = statusRows(
      [
        { name: "s1", role: "server", address: "a", host: "hv2" },
        { name: "a1", role: "agent", address: "b" },
      ],
      undefined,
      undefined,
    );
    expect(rows.map((row) => row.host)).toEqual(["hv2", "default"]);
  });
});
