import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type SpreadStart, spreadPositions } from "./spread.js";

const STARTS: readonly SpreadStart[] = ["first-host", "last-host"];

describe("spreadPositions", () => {
  it.each([
    // count, hosts, start, positions
    [0, 3, "first-host", []],
    [4, 1, "first-host", [0, 0, 0, 0]],
    [4, 1, "last-host", [0, 0, 0, 0]],
    [5, 2, "first-host", [0, 1, 0, 1, 0]],
    [5, 2, "last-host", [1, 0, 1, 0, 1]],
    [3, 3, "first-host", [0, 1, 2]],
    [3, 3, "last-host", [2, 0, 1]],
    [6, 3, "first-host", [0, 1, 2, 1, 0, 2]],
    [5, 5, "first-host", [0, 1, 2, 3, 4]],
    [5, 5, "last-host", [4, 0, 1, 2, 3]],
  ] as const)("%i nodes on %i hosts from the %s", (count, hosts, start, expected) => {
    expect(spreadPositions(count, hosts, start)).toEqual(expected);
  });

  it("refuses impossible arguments (a bug in the caller, not user input)", () => {
    expect(() => spreadPositions(-1, 2, "first-host")).toThrow(RangeError);
    expect(() => spreadPositions(2, 0, "first-host")).toThrow(RangeError);
  });

  it("adding nodes never moves another: fewer nodes are a prefix of more", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: 0, max: 20 }),
        fc.integer({ min: 1, max: 9 }),
        fc.constantFrom(...STARTS),
        (count, more, hosts, start) => {
          const fewer = spreadPositions(count, hosts, start);
          expect(spreadPositions(count + more, hosts, start).slice(0, count)).toEqual(fewer);
        },
      ),
    );
  });

  it("appending a host moves nodes onto the new host only, never between the old ones", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 80 }),
        fc.integer({ min: 1, max: 9 }),
        fc.constantFrom(...STARTS),
        (count, hosts, start) => {
          const before = spreadPositions(count, hosts, start);
          const after = spreadPositions(count, hosts + 1, start);
          after.forEach((position, i) => {
            expect([before[i], hosts]).toContain(position);
          });
        },
      ),
    );
  });

  it("appending a host moves about 1/(hosts+1) of the nodes, which is the least any balance allows", () => {
    const before = spreadPositions(30, 2, "first-host");
    const after = spreadPositions(30, 3, "first-host");
    const moved = after.filter((position, i) => position !== before[i]).length;
    expect(moved).toBe(10);
    // index mod hosts would have moved 20 of the 30 (10 of them between the two old hosts)
    expect(Array.from({ length: 30 }, (_, i) => i % 2 !== i % 3).filter(Boolean).length).toBe(20);
  });

  it("puts the first `hosts` nodes of a role on distinct hosts", () => {
    for (const start of STARTS) {
      for (let hosts = 1; hosts <= 12; hosts++) {
        expect(new Set(spreadPositions(hosts, hosts, start)).size).toBe(hosts);
      }
    }
  });

  // The bounds the documentation states (spread.ts, docs/06-scale-out.md), for every prefix.
  it.each([
    ["first-host", 4, 1],
    ["first-host", 8, 2],
    ["last-host", 3, 1],
    ["last-host", 6, 2],
  ] as const)("%s on up to %i hosts: counts per host differ by at most %i", (start, maxHosts, bound) => {
    for (let hosts = 1; hosts <= maxHosts; hosts++) {
      const positions = spreadPositions(500, hosts, start);
      const counts = new Array<number>(hosts).fill(0);
      for (const position of positions) {
        counts[position] = (counts[position] ?? 0) + 1;
        expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(bound);
      }
    }
  });
});
