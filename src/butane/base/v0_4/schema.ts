import { BOOL, field, INT, list, named, ptr, STRING, type StructSpec, struct } from "../../schema/types.js";

/**
 * Butane base schema v0_4 (used by flatcar 1.0.0 and fcos 1.4.0), field for field as the
 * reference's Go structs: the order matters for validation order.
 */
const PKG = "v0_4";

const nodeUser = struct(`${PKG}.NodeUser`, [ptr("id", INT), ptr("name", STRING)]);
const nodeGroup = struct(`${PKG}.NodeGroup`, [ptr("id", INT), ptr("name", STRING)]);
const verification = struct(`${PKG}.Verification`, [ptr("hash", STRING)]);
const httpHeader = struct(`${PKG}.HTTPHeader`, [field("name", STRING), ptr("value", STRING)]);

export const resource = struct(`${PKG}.Resource`, [
  ptr("compression", STRING),
  field("http_headers", list(httpHeader)),
  ptr("source", STRING),
  ptr("inline", STRING),
  ptr("local", STRING),
  field("verification", verification),
]);

export const tang = struct(`${PKG}.Tang`, [ptr("thumbprint", STRING), field("url", STRING)]);

export const clevis = struct(`${PKG}.Clevis`, [
  field(
    "custom",
    struct(`${PKG}.ClevisCustom`, [ptr("config", STRING), ptr("needs_network", BOOL), ptr("pin", STRING)]),
  ),
  field("tang", list(tang)),
  ptr("threshold", INT),
  ptr("tpm2", BOOL),
]);

export const luks = struct(`${PKG}.Luks`, [
  field("clevis", clevis),
  ptr("device", STRING),
  field("key_file", resource),
  ptr("label", STRING),
  field("name", STRING),
  field("options", list(named("string", `${PKG}.LuksOption`))),
  ptr("uuid", STRING),
  ptr("wipe_volume", BOOL),
]);

const partition = struct(`${PKG}.Partition`, [
  ptr("guid", STRING),
  ptr("label", STRING),
  field("number", INT),
  ptr("resize", BOOL),
  ptr("should_exist", BOOL),
  ptr("size_mib", INT),
  ptr("start_mib", INT),
  ptr("type_guid", STRING),
  ptr("wipe_partition_entry", BOOL),
]);

export const passwdUser = struct(`${PKG}.PasswdUser`, [
  ptr("gecos", STRING),
  field("groups", list(named("string", `${PKG}.Group`))),
  ptr("home_dir", STRING),
  field("name", STRING),
  ptr("no_create_home", BOOL),
  ptr("no_log_init", BOOL),
  ptr("no_user_group", BOOL),
  ptr("password_hash", STRING),
  ptr("primary_group", STRING),
  ptr("should_exist", BOOL),
  field("ssh_authorized_keys", list(named("string", `${PKG}.SSHAuthorizedKey`))),
  ptr("shell", STRING),
  ptr("system", BOOL),
  ptr("uid", INT),
]);

export const dropin = struct(`${PKG}.Dropin`, [ptr("contents", STRING), field("name", STRING)]);

export const unit = struct(`${PKG}.Unit`, [
  ptr("contents", STRING),
  field("dropins", list(dropin)),
  ptr("enabled", BOOL),
  ptr("mask", BOOL),
  field("name", STRING),
]);

export interface BaseSchemaParts {
  readonly resource: StructSpec;
  readonly luks: StructSpec;
  readonly passwdUser: StructSpec;
  readonly unit: StructSpec;
  /** Base v0_3: no `kernel_arguments`, and a link's target and a raid's level are plain strings. */
  readonly v0_3?: boolean;
}

/** Builds the root schema from the parts a spec version may replace. */
export function buildConfigSchema(pkg: string, parts: BaseSchemaParts): StructSpec {
  const res = parts.resource;
  const file = struct(`${pkg}.File`, [
    field("group", nodeGroup),
    ptr("overwrite", BOOL),
    field("path", STRING),
    field("user", nodeUser),
    field("append", list(res)),
    field("contents", res),
    ptr("mode", INT),
  ]);
  const directory = struct(`${pkg}.Directory`, [
    field("group", nodeGroup),
    ptr("overwrite", BOOL),
    field("path", STRING),
    field("user", nodeUser),
    ptr("mode", INT),
  ]);
  const link = struct(`${pkg}.Link`, [
    field("group", nodeGroup),
    ptr("overwrite", BOOL),
    field("path", STRING),
    field("user", nodeUser),
    ptr("hard", BOOL),
    parts.v0_3 ? field("target", STRING) : ptr("target", STRING),
  ]);
  const filesystem = struct(`${pkg}.Filesystem`, [
    field("device", STRING),
    ptr("format", STRING),
    ptr("label", STRING),
    field("mount_options", list(STRING)),
    field("options", list(STRING)),
    ptr("path", STRING),
    ptr("uuid", STRING),
    ptr("wipe_filesystem", BOOL),
    ptr("with_mount_unit", BOOL),
  ]);
  const raid = struct(`${pkg}.Raid`, [
    field("devices", list(named("string", `${pkg}.Device`))),
    parts.v0_3 ? field("level", STRING) : ptr("level", STRING),
    field("name", STRING),
    field("options", list(named("string", `${pkg}.RaidOption`))),
    ptr("spares", INT),
  ]);
  const disk = struct(`${pkg}.Disk`, [
    field("device", STRING),
    field("partitions", list(partition)),
    ptr("wipe_table", BOOL),
  ]);
  const tree = struct(`${pkg}.Tree`, [field("local", STRING), ptr("path", STRING)]);
  const storage = struct(`${pkg}.Storage`, [
    field("directories", list(directory)),
    field("disks", list(disk)),
    field("files", list(file)),
    field("filesystems", list(filesystem)),
    field("links", list(link)),
    field("luks", list(parts.luks)),
    field("raid", list(raid)),
    field("trees", list(tree)),
  ]);
  const ignition = struct(`${pkg}.Ignition`, [
    field("config", struct(`${pkg}.IgnitionConfig`, [field("merge", list(res)), field("replace", res)])),
    field(
      "proxy",
      struct(`${pkg}.Proxy`, [
        ptr("http_proxy", STRING),
        ptr("https_proxy", STRING),
        field("no_proxy", list(STRING)),
      ]),
    ),
    field(
      "security",
      struct(`${pkg}.Security`, [
        field("tls", struct(`${pkg}.TLS`, [field("certificate_authorities", list(res))])),
      ]),
    ),
    field("timeouts", struct(`${pkg}.Timeouts`, [ptr("http_response_headers", INT), ptr("http_total", INT)])),
  ]);
  const kernelArguments = struct(`${pkg}.KernelArguments`, [
    field("should_exist", list(named("string", `${pkg}.KernelArgument`))),
    field("should_not_exist", list(named("string", `${pkg}.KernelArgument`))),
  ]);
  const passwd = struct(`${pkg}.Passwd`, [
    field(
      "groups",
      list(
        struct(`${pkg}.PasswdGroup`, [
          ptr("gid", INT),
          field("name", STRING),
          ptr("password_hash", STRING),
          ptr("should_exist", BOOL),
          ptr("system", BOOL),
        ]),
      ),
    ),
    field("users", list(parts.passwdUser)),
  ]);
  const systemd = struct(`${pkg}.Systemd`, [field("units", list(parts.unit))]);
  return struct(`${pkg}.Config`, [
    field("version", STRING),
    field("variant", STRING),
    field("ignition", ignition),
    ...(parts.v0_3 ? [] : [field("kernel_arguments", kernelArguments)]),
    field("passwd", passwd),
    field("storage", storage),
    field("systemd", systemd),
  ]);
}

export const configSchema = buildConfigSchema(PKG, { resource, luks, passwdUser, unit });
