/**
 * The subset of OpenTofu/Terraform's JSON configuration syntax homelab writes. Strings that
 * contain `${…}` are expressions, evaluated by OpenTofu; everything else is a literal value.
 *
 * See the "JSON Configuration Syntax" page of OpenTofu (or Terraform): blocks are JSON objects,
 * `"//"` properties are comments, `resource.<type>.<name>` holds one resource block.
 */

/** A JSON value as OpenTofu reads it. */
export type TfValue =
  | string
  | number
  | boolean
  | null
  | readonly TfValue[]
  | { readonly [key: string]: TfValue };

/** The meta-arguments homelab uses; the provider never sees them. */
export interface TfLifecycle {
  readonly replace_triggered_by?: readonly string[];
  readonly ignore_changes?: readonly string[];
  readonly create_before_destroy?: boolean;
  readonly prevent_destroy?: boolean;
}

export interface TfMetaArguments {
  /** A comment kept in the JSON (OpenTofu ignores `"//"` properties in blocks). */
  readonly "//"?: string;
  readonly for_each?: string;
  /** `libvirt.<alias>`: the provider configuration of the block (one per host on several hosts). */
  readonly provider?: string;
  readonly depends_on?: readonly string[];
  readonly lifecycle?: TfLifecycle;
}

export type TfResourceBody = TfMetaArguments & {
  readonly [attribute: string]: TfValue | TfLifecycle | undefined;
};

export interface TfVariableValidation {
  readonly condition: string;
  readonly error_message: string;
}

export interface TfVariable {
  readonly description: string;
  readonly type: string;
  readonly default?: TfValue;
  readonly nullable?: boolean;
  readonly validation?: readonly TfVariableValidation[];
}

export interface TfOutput {
  readonly description: string;
  readonly value: TfValue;
}

export interface TfRequiredProvider {
  readonly source: string;
  readonly version: string;
}

export interface TfTerraformBlock {
  readonly required_version: string;
  readonly required_providers: Readonly<Record<string, TfRequiredProvider>>;
  readonly backend: { readonly local: { readonly path: string } };
}

/** A `moved` block: a resource instance's state moves to a new address, nothing is rebuilt. */
export interface TfMoved {
  readonly from: string;
  readonly to: string;
}

/** One `*.tf.json` file. Key order here is the order in the written file. */
export interface TfJsonDocument {
  readonly "//": string;
  readonly terraform: TfTerraformBlock;
  readonly variable: Readonly<Record<string, TfVariable>>;
  readonly provider: Readonly<Record<string, TfValue>>;
  readonly locals: Readonly<Record<string, TfValue>>;
  readonly resource: Readonly<Record<string, Readonly<Record<string, TfResourceBody>>>>;
  readonly moved?: readonly TfMoved[];
  readonly output: Readonly<Record<string, TfOutput>>;
}

/** Wraps a reference or function call as an OpenTofu template expression. */
export function expr(expression: string): string {
  return `\${${expression}}`;
}

/** A JSON string literal inside an expression (`"a\"b"`), for names that reach HCL text. */
export function hclString(value: string): string {
  return JSON.stringify(value);
}
