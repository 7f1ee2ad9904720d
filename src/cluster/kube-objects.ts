/**
 * The parts of Kubernetes objects homelab reads, structurally compatible with
 * @kubernetes/client-node's V1Node and V1Pod (which load lazily), so that the pure functions
 * here need no client library.
 */

export interface ObjectMeta {
  readonly name?: string;
  readonly namespace?: string;
  readonly uid?: string;
  readonly creationTimestamp?: Date | string;
  readonly deletionTimestamp?: Date | string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly ownerReferences?: readonly {
    readonly kind: string;
    readonly name: string;
    readonly controller?: boolean;
  }[];
}

export interface NodeCondition {
  readonly type: string;
  readonly status: string;
  readonly reason?: string;
  readonly message?: string;
}

export interface NodeObject {
  readonly metadata?: ObjectMeta;
  readonly spec?: { readonly unschedulable?: boolean };
  readonly status?: {
    readonly conditions?: readonly NodeCondition[];
    readonly nodeInfo?: {
      readonly kubeletVersion?: string;
      readonly osImage?: string;
      readonly bootID?: string;
    };
  };
}

export interface PodObject {
  readonly metadata?: ObjectMeta;
  readonly spec?: { readonly nodeName?: string };
  readonly status?: { readonly phase?: string };
}
