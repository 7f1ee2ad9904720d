import { B, I, type IgnObject, type JsonStruct, l, o, p, r, S, st } from "../schema.js";

/** Ignition spec 3.3.0, in the field order of `config/v3_3/types/schema.go`. */
const str = (v: unknown): string => (typeof v === "string" ? v : "");
const byName = (v: IgnObject): string => str(v.name);

export const verification = st("Verification", [p("hash", S)]);
export const httpHeader = st("HTTPHeader", [r("name", S), p("value", S)], byName);
export const resource = st(
  "Resource",
  [p("compression", S), o("httpHeaders", l(httpHeader)), p("source", S), o("verification", verification)],
  (v) => str(v.source),
);

const nodeOwner = (name: string) => st(name, [p("id", I), p("name", S)]);
export const nodeFields = [
  o("group", nodeOwner("NodeGroup")),
  p("overwrite", B),
  r("path", S),
  o("user", nodeOwner("NodeUser")),
];
const byPath = (v: IgnObject): string => str(v.path);

export const file = st(
  "File",
  // FileEmbedded1.IgnoreDuplicates: appending the same resource twice is allowed.
  [...nodeFields, o("append", l(resource), { ignoreDups: true }), o("contents", resource), p("mode", I)],
  byPath,
);
export const directory = st("Directory", [...nodeFields, p("mode", I)], byPath);
export const link = st("Link", [...nodeFields, p("hard", B), p("target", S)], byPath);

export const partition = st(
  "Partition",
  [
    p("guid", S),
    p("label", S),
    o("number", I),
    p("resize", B),
    p("shouldExist", B),
    p("sizeMiB", I),
    p("startMiB", I),
    p("typeGuid", S),
    p("wipePartitionEntry", B),
  ],
  (v) => {
    if (typeof v.number === "number" && v.number !== 0) return `number:${v.number}`;
    if (typeof v.label === "string") return `label:${v.label}`;
    return "";
  },
);
export const disk = st("Disk", [r("device", S), o("partitions", l(partition)), p("wipeTable", B)], (v) =>
  str(v.device),
);
export const filesystem = st(
  "Filesystem",
  [
    r("device", S),
    p("format", S),
    p("label", S),
    o("mountOptions", l(S), { ignoreDups: true }),
    o("options", l(S), { ignoreDups: true }),
    p("path", S),
    p("uuid", S),
    p("wipeFilesystem", B),
  ],
  (v) => str(v.device),
);
export const tang = st("Tang", [p("thumbprint", S), o("url", S)], (v) => str(v.url));
export const clevis = st("Clevis", [
  o("custom", st("ClevisCustom", [p("config", S), p("needsNetwork", B), p("pin", S)])),
  o("tang", l(tang)),
  p("threshold", I),
  p("tpm2", B),
]);
export const luks = st(
  "Luks",
  [
    o("clevis", clevis),
    p("device", S),
    o("keyFile", resource),
    p("label", S),
    r("name", S),
    o("options", l(S), { ignoreDups: true }),
    p("uuid", S),
    p("wipeVolume", B),
  ],
  byName,
);
export const raid = st(
  "Raid",
  [o("devices", l(S)), p("level", S), r("name", S), o("options", l(S), { ignoreDups: true }), p("spares", I)],
  byName,
);
export const storage = st("Storage", [
  o("directories", l(directory), { dupGroup: "Node" }),
  o("disks", l(disk)),
  o("files", l(file), { dupGroup: "Node" }),
  o("filesystems", l(filesystem)),
  o("links", l(link), { dupGroup: "Node" }),
  o("luks", l(luks)),
  o("raid", l(raid)),
]);

export const dropin = st("Dropin", [p("contents", S), r("name", S)], byName);
export const unit = st(
  "Unit",
  [p("contents", S), o("dropins", l(dropin)), p("enabled", B), p("mask", B), r("name", S)],
  byName,
);
export const systemd = st("Systemd", [o("units", l(unit))]);

export const passwdUser = st(
  "PasswdUser",
  [
    p("gecos", S),
    o("groups", l(S)),
    p("homeDir", S),
    r("name", S),
    p("noCreateHome", B),
    p("noLogInit", B),
    p("noUserGroup", B),
    p("passwordHash", S),
    p("primaryGroup", S),
    o("sshAuthorizedKeys", l(S)),
    p("shell", S),
    p("shouldExist", B),
    p("system", B),
    p("uid", I),
  ],
  byName,
);
export const passwdGroup = st(
  "PasswdGroup",
  [p("gid", I), r("name", S), p("passwordHash", S), p("shouldExist", B), p("system", B)],
  byName,
);
export const passwd = st("Passwd", [o("groups", l(passwdGroup)), o("users", l(passwdUser))]);

export const kernelArguments = st("KernelArguments", [
  o("shouldExist", l(S), { dupGroup: "KernelArgument" }),
  o("shouldNotExist", l(S), { dupGroup: "KernelArgument" }),
]);

export const ignition = st("Ignition", [
  o("config", st("IgnitionConfig", [o("merge", l(resource)), o("replace", resource)])),
  o("proxy", st("Proxy", [p("httpProxy", S), p("httpsProxy", S), o("noProxy", l(S))])),
  o("security", st("Security", [o("tls", st("TLS", [o("certificateAuthorities", l(resource))]))])),
  o("timeouts", st("Timeouts", [p("httpResponseHeaders", I), p("httpTotal", I)])),
  r("version", S),
]);

export function buildConfig(parts: {
  ignition: JsonStruct;
  kernelArguments: JsonStruct;
  passwd: JsonStruct;
  storage: JsonStruct;
  systemd: JsonStruct;
}): JsonStruct {
  return st("Config", [
    r("ignition", parts.ignition),
    o("kernelArguments", parts.kernelArguments),
    o("passwd", parts.passwd),
    o("storage", parts.storage),
    o("systemd", parts.systemd),
  ]);
}

export const config = buildConfig({ ignition, kernelArguments, passwd, storage, systemd });
