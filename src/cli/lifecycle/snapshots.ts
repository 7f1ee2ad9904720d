import { HomelabError } from "../../errors/index.js";
import type { SnapshotOperations } from "./roll.js";

/**
 * etcd snapshots for the rollout. Wired to src/snapshots once it lands on this branch; until
 * then a server step refuses to start rather than take a server down without a snapshot.
 */
export const etcdSnapshots: SnapshotOperations = {
  take: async () => {
    throw new HomelabError("rollout-stopped", "etcd snapshots are not available in this build", {
      fix: "This build cannot take the snapshot a server step needs; nothing was changed.",
    });
  },
  upload: async () => {
    throw new HomelabError("rollout-stopped", "etcd snapshots are not available in this build", {
      fix: "This build cannot upload a snapshot; nothing was changed.",
    });
  },
};
