/**
 * Where the n-th node of a role goes when nobody pins it: a host position (0-based, in the
 * order `hosts` is written) for each index 1..count.
 *
 * The sequence is built one host at a time. With one host every node is on host 0. Appending a
 * host walks the nodes in index order and moves a node onto the new host exactly when that
 * keeps the new host at or below the count of the node's current host among the nodes before
 * it. Three properties follow, and `spread.test.ts` checks them:
 *
 * - **Adding or removing a node never moves another one**: a node's position depends only on
 *   the nodes before it, so the positions of `count` nodes are a prefix of those of `count + 1`.
 * - **Appending a host only moves nodes onto the new host**, never between the old ones: each
 *   step either keeps a node's position or gives it the new host. (Plain `index mod hosts` would
 *   move about two thirds of the nodes when a third host arrives; this moves one third.)
 * - **The first `hostCount` nodes are on distinct hosts**, so servers spread one per host.
 *
 * Counts per host stay within one of each other on up to four hosts (`first-host`) or three
 * (`last-host`), within two up to eight (six): exact round-robin and "appending never moves a
 * node between old hosts" cannot both hold for every count.
 *
 * `first-host` (servers) keeps a node where it is on a tie; `last-host` (agents) moves it, so
 * the first agent goes to the last host and the agents fill the hosts from the other end than
 * the servers: one server and one agent on two hosts get a host each.
 */
export type SpreadStart = "first-host" | "last-host";

export function spreadPositions(count: number, hostCount: number, start: SpreadStart): number[] {
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`count must be a natural number: ${count}`);
  if (!Number.isInteger(hostCount) || hostCount < 1)
    throw new RangeError(`hostCount must be at least 1: ${hostCount}`);
  let positions: number[] = new Array<number>(count).fill(0);
  for (let added = 1; added < hostCount; added++) {
    const seen = new Array<number>(added + 1).fill(0);
    positions = positions.map((previous) => {
      const onNew = seen[added] ?? 0;
      const onPrevious = seen[previous] ?? 0;
      const move = start === "first-host" ? onNew < onPrevious : onNew <= onPrevious;
      const position = move ? added : previous;
      seen[position] = (seen[position] ?? 0) + 1;
      return position;
    });
  }
  return positions;
}
