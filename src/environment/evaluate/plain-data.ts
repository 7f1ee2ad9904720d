/**
 * Turns whatever an environment file exported into plain JSON data, or says, per field path,
 * why it cannot. An environment is data: strings, finite numbers, booleans, null, lists and
 * plain objects. Everything else (bigint, symbols, functions, class instances, cycles, getters
 * that throw, `__proto__` keys, objects with a replaced prototype, huge or deeply nested
 * values) is refused with its path, never dropped or coerced silently.
 *
 * Pure and dependency-free: it runs inside the evaluator child (on the file's own objects) and
 * in the parent (on JSON files, which never need the child).
 */

export type PlainData = null | boolean | number | string | PlainData[] | { [key: string]: PlainData };

export type DataPath = readonly (string | number)[];

export interface DataProblem {
  readonly path: DataPath;
  readonly message: string;
}

export interface PlainDataLimits {
  /** Deepest nesting of lists and objects (the schema needs 5). */
  readonly maxDepth: number;
  /** Values (of any kind) in the whole tree; guards against shared references fanning out. */
  readonly maxValues: number;
  /** Characters of all strings and keys together. */
  readonly maxCharacters: number;
}

export const DEFAULT_PLAIN_DATA_LIMITS: PlainDataLimits = {
  maxDepth: 32,
  maxValues: 100_000,
  maxCharacters: 4 * 1024 * 1024,
};

/** Problems beyond this many are not collected: the first ones say enough. */
const MAX_PROBLEMS = 20;

export type PlainDataResult =
  | { readonly ok: true; readonly value: PlainData }
  | { readonly ok: false; readonly problems: readonly DataProblem[] };

class TooMuch extends Error {}

/** Short, printable description of an offending value; never the whole value. */
export function describeForeignValue(value: unknown): string {
  switch (typeof value) {
    case "bigint": {
      const text = value.toString();
      return `a bigint (${text.length > 20 ? `${text.slice(0, 20)}…` : text}n)`;
    }
    case "symbol":
      return "a symbol";
    case "function":
      return "a function";
    case "number":
      return Number.isNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity";
    case "undefined":
      return "undefined";
    default:
      return typeof value;
  }
}

function errorText(error: unknown): string {
  try {
    const text = error instanceof Error ? error.message : String(error);
    return text.length > 200 ? `${text.slice(0, 200)}…` : text;
  } catch {
    return "an unprintable value";
  }
}

/** What a non-plain object is, for the message (`a Date`, `a Promise (forgot await?)`). */
function describeObject(prototype: object): string {
  const known: [unknown, string][] = [
    [Date.prototype, "a Date (write the date as a string)"],
    [Map.prototype, "a Map (write a plain object instead)"],
    [Set.prototype, "a Set (write a list instead)"],
    [RegExp.prototype, "a regular expression"],
    [Promise.prototype, "a Promise (an `await` is missing)"],
    [Error.prototype, "an Error object"],
  ];
  for (const [candidate, text] of known) if (prototype === candidate) return text;
  let parent: unknown;
  try {
    parent = Object.getPrototypeOf(prototype);
  } catch {
    parent = undefined;
  }
  if (parent === Object.prototype || parent === null) {
    return "an object whose prototype was replaced (`__proto__: …` in an object literal sets the prototype, it does not add a key)";
  }
  let name: unknown;
  try {
    name = (prototype as { constructor?: { name?: unknown } }).constructor?.name;
  } catch {
    name = undefined;
  }
  return typeof name === "string" && name !== ""
    ? `an instance of ${name.slice(0, 40)}`
    : "an object of a class";
}

/** Converts `value` into plain data, or lists (at most 20) problems with their paths. */
export function toPlainData(
  value: unknown,
  limits: PlainDataLimits = DEFAULT_PLAIN_DATA_LIMITS,
): PlainDataResult {
  const problems: DataProblem[] = [];
  const ancestors: { value: object; path: DataPath }[] = [];
  let values = 0;
  let characters = 0;

  const problem = (path: DataPath, message: string): undefined => {
    if (problems.length < MAX_PROBLEMS) problems.push({ path, message });
    if (problems.length >= MAX_PROBLEMS) throw new TooMuch();
    return undefined;
  };

  const count = (path: DataPath, chars: number): void => {
    values += 1;
    characters += chars;
    if (values > limits.maxValues) {
      problem(
        path,
        `the environment holds more than ${limits.maxValues} values; it is far larger than any cluster needs`,
      );
      throw new TooMuch();
    }
    if (characters > limits.maxCharacters) {
      problem(
        path,
        `the environment's strings add up to more than ${Math.round(limits.maxCharacters / 1024 / 1024)} MiB`,
      );
      throw new TooMuch();
    }
  };

  const convert = (current: unknown, path: DataPath, depth: number): PlainData | undefined => {
    switch (typeof current) {
      case "string":
        count(path, current.length);
        return current;
      case "boolean":
        count(path, 0);
        return current;
      case "number":
        count(path, 0);
        if (Number.isFinite(current)) return current;
        return problem(path, `is ${describeForeignValue(current)}, which is not a usable number`);
      case "bigint":
        return problem(path, `is ${describeForeignValue(current)}; write a plain number instead`);
      case "symbol":
      case "function":
        return problem(path, `is ${describeForeignValue(current)}; an environment holds data only`);
      case "undefined":
        return problem(path, "is undefined");
      default:
        break;
    }
    if (current === null) {
      count(path, 0);
      return null;
    }
    const object = current as object;
    count(path, 0);
    if (depth >= limits.maxDepth) return problem(path, `is nested more than ${limits.maxDepth} levels deep`);
    const cycle = ancestors.find((ancestor) => ancestor.value === object);
    if (cycle) {
      return problem(
        path,
        `refers back to ${cycle.path.length === 0 ? "the environment itself" : formatDataPath(cycle.path)} (a cycle)`,
      );
    }
    let isArray: boolean;
    let prototype: object | null;
    try {
      isArray = Array.isArray(object);
      prototype = Object.getPrototypeOf(object) as object | null;
    } catch (error) {
      return problem(path, `cannot be inspected: ${errorText(error)}`);
    }
    ancestors.push({ value: object, path });
    try {
      if (isArray) return convertArray(object as unknown[], path, depth);
      if (prototype !== Object.prototype && prototype !== null)
        return problem(path, `is ${describeObject(prototype)}`);
      return convertObject(object, path, depth);
    } finally {
      ancestors.pop();
    }
  };

  const convertArray = (array: unknown[], path: DataPath, depth: number): PlainData[] | undefined => {
    let length: number;
    try {
      length = array.length;
    } catch (error) {
      return problem(path, `cannot be read: ${errorText(error)}`);
    }
    if (length > limits.maxValues) {
      return problem(path, `is a list of ${length} entries; it is far longer than any cluster needs`);
    }
    const result: PlainData[] = [];
    let failed = false;
    for (let index = 0; index < length; index++) {
      const elementPath = [...path, index];
      let element: unknown;
      let present: boolean;
      try {
        present = index in array;
        element = present ? array[index] : undefined;
      } catch (error) {
        problem(elementPath, `cannot be read: ${errorText(error)}`);
        failed = true;
        continue;
      }
      if (!present) {
        problem(elementPath, "is an empty slot in the list (two commas in a row?)");
        failed = true;
        continue;
      }
      const converted = convert(element, elementPath, depth + 1);
      // Index assignment, not push: the file may have replaced Array.prototype.push.
      if (converted === undefined) failed = true;
      else result[result.length] = converted;
    }
    return failed ? undefined : result;
  };

  const convertObject = (object: object, path: DataPath, depth: number): PlainData | undefined => {
    let keys: (string | symbol)[];
    try {
      keys = Reflect.ownKeys(object);
    } catch (error) {
      return problem(path, `cannot be read: ${errorText(error)}`);
    }
    const result: { [key: string]: PlainData } = {};
    let failed = false;
    for (const key of keys) {
      if (typeof key === "symbol") {
        problem(path, "has a symbol as a key; keys must be strings");
        failed = true;
        continue;
      }
      const keyPath = [...path, key];
      if (key === "__proto__") {
        problem(
          keyPath,
          'the key "__proto__" is refused: JavaScript treats it as the prototype, so the entry would be lost',
        );
        failed = true;
        continue;
      }
      count(keyPath, key.length);
      let element: unknown;
      try {
        element = (object as Record<string, unknown>)[key];
      } catch (error) {
        problem(keyPath, `cannot be read: its getter threw ${errorText(error)}`);
        failed = true;
        continue;
      }
      // As in JSON: a key whose value is undefined is a key that is not there.
      if (element === undefined) continue;
      const converted = convert(element, keyPath, depth + 1);
      if (converted === undefined) failed = true;
      else result[key] = converted;
    }
    return failed ? undefined : result;
  };

  let converted: PlainData | undefined;
  try {
    converted = convert(value, [], 0);
  } catch (error) {
    if (!(error instanceof TooMuch)) throw error;
    converted = undefined;
  }
  if (problems.length > 0 || converted === undefined) {
    return {
      ok: false,
      problems: problems.length > 0 ? problems : [{ path: [], message: "is not plain data" }],
    };
  }
  return { ok: true, value: converted };
}

/** `servers.count`, `nodes["a.b"]`, `ssh.authorizedKeys.0`; keys are shortened for messages. */
export function formatDataPath(path: DataPath): string {
  if (path.length === 0) return "(root)";
  return path
    .map((segment, index) => {
      if (typeof segment === "number") return index === 0 ? String(segment) : `.${segment}`;
      const shown = segment.length > 60 ? `${segment.slice(0, 60)}…` : segment;
      if (/^[A-Za-z_$][\w$-]*$/.test(shown)) return index === 0 ? shown : `.${shown}`;
      return `[${JSON.stringify(shown)}]`;
    })
    .join("");
}
