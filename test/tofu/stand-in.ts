import type { TfJsonDocument, TfResourceBody, TfValue } from "../../src/tofu/index.js";

/**
 * Turns a synthesized `main.tf.json` into a configuration that real Terraform/OpenTofu can plan
 * and apply here, without the libvirt provider (which cannot be downloaded on these machines):
 * every `libvirt_*` resource becomes a built-in `terraform_data` resource with the same
 * `for_each`, `lifecycle` and expressions.
 *
 * What this proves is the core-language half of the design — addresses keyed by node name,
 * `replace_triggered_by`, `ignore_changes`, the `filesha256`/`abspath` expressions, the
 * dependency graph. What it cannot prove is the provider half: which attribute changes the
 * provider itself turns into a replacement. Those are copied in `REPLACING_ATTRIBUTES` from
 * the provider's source at v0.9.7 (plan modifiers `RequiresReplace`) and stand in as
 * `triggers_replace`. A stand-in, not an integration test.
 *
 * Several hosts: each host's blocks (`libvirt_domain.node_hv1`) become stand-ins of their own
 * (`terraform_data.libvirt_domain__node_hv1`). The `provider` meta-argument, which a
 * `terraform_data` cannot take, and the provider blocks are dropped (no libvirt provider here):
 * a host is visible in the stand-in's addresses, and the schema walk checks the aliases.
 * Changing only a resource's provider configuration changes none of its attributes, which is
 * what the real provider sees too. `moved` blocks are translated to the stand-in addresses.
 */

/**
 * Attributes whose change makes the provider plan a replacement (its `RequiresReplace`), as
 * far as they are certain for 0.9.7: volumes replace on name, pool and create (and cannot be
 * updated in place at all: their Update always fails, so the tests assert no volume is ever
 * planned "update"); pools on name, type and target path. Whether `capacity` and
 * `backing_store` replace is not certain, so the stand-in assumes the worst (they do not) and
 * the synthesized config must not depend on them.
 */
const REPLACING_ATTRIBUTES: Readonly<Record<string, readonly string[]>> = {
  libvirt_pool: ["name", "type", "target"],
  libvirt_volume: ["name", "pool", "create"],
  // Domains update in place (shutdown, redefine, start). Networks: see the network's comment
  // in synthesize.ts; homelab never lets their `ips` change.
  libvirt_network: [],
  libvirt_domain: [],
};

/** Computed attributes later resources read, and how the stand-in derives them. */
function computedAttributes(type: string, body: Readonly<Record<string, unknown>>): Record<string, TfValue> {
  if (type === "libvirt_volume") {
    // The provider reports the volume's path in its pool's directory.
    return { path: `/pools/${String(body.pool)}/${String(body.name)}` };
  }
  return {};
}

const META = new Set(["//", "for_each", "lifecycle", "depends_on", "provider"]);

const REFERENCE = /\b(libvirt_(?:pool|volume|network|domain))\.([a-z][a-z0-9_-]*)(\[[^\]]*\])?(\.[a-z_]+)?/g;

function rewriteString(value: string, inLifecycle: boolean): string {
  return value.replace(
    REFERENCE,
    (_match, type: string, name: string, key: string | undefined, attribute: string | undefined) => {
      const address = `terraform_data.${type}__${name}${key ?? ""}`;
      if (attribute === undefined || inLifecycle) return `${address}${attribute ?? ""}`;
      return `${address}.output${attribute}`;
    },
  );
}

function rewrite(value: unknown, inLifecycle = false): TfValue {
  if (typeof value === "string") return rewriteString(value, inLifecycle);
  if (Array.isArray(value)) return value.map((item) => rewrite(item, inLifecycle));
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, rewrite(item, inLifecycle)]));
  }
  return value as TfValue;
}

function standInBody(type: string, body: TfResourceBody): Record<string, unknown> {
  const attributes: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) if (!META.has(key)) attributes[key] = value;
  const input = rewrite({ ...attributes, ...computedAttributes(type, attributes) });
  const replacing = (REPLACING_ATTRIBUTES[type] ?? []).filter((key) => key in attributes);
  const result: Record<string, unknown> = { input };
  if (replacing.length > 0) {
    result.triggers_replace = rewrite(Object.fromEntries(replacing.map((key) => [key, attributes[key]])));
  }
  if (body.for_each) result.for_each = body.for_each;
  if (body.depends_on) result.depends_on = rewrite(body.depends_on, true);
  if (body.lifecycle) {
    const { ignore_changes, replace_triggered_by, ...rest } = body.lifecycle;
    const lifecycle: Record<string, unknown> = { ...rest };
    if (replace_triggered_by) lifecycle.replace_triggered_by = rewrite(replace_triggered_by, true);
    if (ignore_changes) {
      lifecycle.ignore_changes = ignore_changes.flatMap((attribute) => [
        `input.${attribute}`,
        ...(replacing.includes(attribute) ? [`triggers_replace.${attribute}`] : []),
      ]);
    }
    result.lifecycle = lifecycle;
  }
  return result;
}

/** `keepBackend`: keep the local backend (state outside the directory), as a render has it. */
export function standInConfig(
  document: TfJsonDocument,
  options: { readonly keepBackend?: boolean } = {},
): Record<string, unknown> {
  const standIns: Record<string, unknown> = {};
  for (const [type, named] of Object.entries(document.resource)) {
    for (const [name, body] of Object.entries(named)) standIns[`${type}__${name}`] = standInBody(type, body);
  }
  const address = (text: string) => rewriteString(text, true);
  return {
    ...(options.keepBackend ? { terraform: { backend: document.terraform.backend } } : {}),
    variable: document.variable,
    locals: document.locals,
    resource: { terraform_data: standIns },
    ...(document.moved
      ? { moved: document.moved.map((move) => ({ from: address(move.from), to: address(move.to) })) }
      : {}),
  };
}
