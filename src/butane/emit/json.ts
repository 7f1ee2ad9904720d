import type { IgnObject, IgnValue, JsonField, JsonStruct, JsonType } from "../ignition/schema.js";

/**
 * Writes an Ignition object exactly as the reference prints it: Go's encoding/json (the
 * clarketm fork Butane uses, which also omits empty structs), with keys in Go field order,
 * `<`, `>`, `&` escaped as \u003c \u003e \u0026, and MarshalIndent's two-space layout.
 */
export function marshalIgnition(value: IgnObject, type: JsonStruct, pretty: boolean): string {
  const out: string[] = [];
  writeStruct(out, value, type, pretty ? "\n" : "");
  return out.join("");
}

const HEX = "0123456789abcdef";

export function goJsonString(s: string): string {
  let out = '"';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let esc: string | undefined;
    if (c < 0x20 || c === 0x22 || c === 0x5c || c === 0x3c || c === 0x3e || c === 0x26) {
      if (c === 0x22) esc = '\\"';
      else if (c === 0x5c) esc = "\\\\";
      else if (c === 0x0a) esc = "\\n";
      else if (c === 0x0d) esc = "\\r";
      else if (c === 0x09) esc = "\\t";
      else esc = `\\u00${HEX[c >> 4]}${HEX[c & 0xf]}`;
    } else if (c === 0x2028 || c === 0x2029) {
      esc = c === 0x2028 ? "\\u2028" : "\\u2029";
    } else if (c >= 0xd800 && c <= 0xdfff) {
      const next = s.charCodeAt(i + 1);
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
      esc = "\\ufffd"; // lone surrogate: Go writes an escaped replacement character
    }
    if (esc !== undefined) {
      out += s.slice(start, i) + esc;
      start = i + 1;
    }
  }
  return `${out + s.slice(start)}"`;
}

/** Go's `isEmptyValue`, extended to structs as clarketm/json does. */
export function isEmpty(value: IgnValue, type: JsonType): boolean {
  if (value === undefined) return true;
  switch (type.kind) {
    case "string":
      return value === "";
    case "int":
      return value === 0;
    case "bool":
      return value === false;
    case "list":
      return !Array.isArray(value) || value.length === 0;
    case "struct":
      return type.fields.every((f) => {
        const v = (value as IgnObject)[f.name];
        return f.pointer ? v === undefined : isEmpty(v, f.type);
      });
  }
}

function present(field: JsonField, value: IgnValue): boolean {
  if (field.pointer) return value !== undefined;
  if (field.omitempty) return !isEmpty(value, field.type);
  return true;
}

function writeValue(out: string[], value: IgnValue, type: JsonType, nl: string): void {
  switch (type.kind) {
    case "string":
      out.push(goJsonString(typeof value === "string" ? value : ""));
      return;
    case "int":
      out.push(String(typeof value === "number" ? value : 0));
      return;
    case "bool":
      out.push(value === true ? "true" : "false");
      return;
    case "list": {
      if (!Array.isArray(value)) {
        out.push("null");
        return;
      }
      if (value.length === 0) {
        out.push("[]");
        return;
      }
      const inner = nl && `${nl}  `;
      out.push("[");
      value.forEach((item, i) => {
        if (i > 0) out.push(",");
        out.push(inner);
        writeValue(out, item, type.of, inner);
      });
      out.push(`${nl}]`);
      return;
    }
    case "struct":
      writeStruct(out, (value ?? {}) as IgnObject, type, nl);
  }
}

function writeStruct(out: string[], value: IgnObject, type: JsonStruct, nl: string): void {
  const inner = nl && `${nl}  `;
  const sep = nl ? ": " : ":";
  let first = true;
  out.push("{");
  for (const field of type.fields) {
    const v = value[field.name];
    if (!present(field, v)) continue;
    if (!first) out.push(",");
    first = false;
    out.push(inner, goJsonString(field.name), sep);
    writeValue(out, v, field.type, inner);
  }
  out.push(first ? "}" : `${nl}}`);
}
