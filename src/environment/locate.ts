import type * as ts from "typescript";

/**
 * Finds where a field of an environment is written in its source file, so errors can name the
 * line: `environments/staging.ts:14:5: agents.count: …`. Uses the TypeScript parser (syntax
 * only, no type checking), loaded lazily because only the error path needs it.
 *
 * It follows the default export through the usual shapes — `export default { … }`,
 * `… satisfies EnvironmentInput`, `defineEnvironment({ … })`, `const env = { … }; export
 * default env` — and JSON files. When the exact field is absent (a missing required field),
 * it returns the deepest enclosing field that exists.
 */

export interface SourcePosition {
  /** 1-based. */
  readonly line: number;
  /** 1-based. */
  readonly column: number;
}

export type FieldPath = readonly (string | number)[];

type TypeScript = typeof ts;

let typescriptModule: Promise<TypeScript> | undefined;
function loadTypeScript(): Promise<TypeScript> {
  typescriptModule ??= import("typescript").then(
    (m) => ((m as unknown as { default?: TypeScript }).default ?? m) as TypeScript,
  );
  return typescriptModule;
}

/** Locates every path in one parse of the file. Paths that cannot be found map to undefined. */
export async function locateFields(
  sourceText: string,
  fileName: string,
  paths: readonly FieldPath[],
): Promise<(SourcePosition | undefined)[]> {
  const typescript = await loadTypeScript();
  const isJson = fileName.endsWith(".json");
  const source = typescript.createSourceFile(
    fileName,
    sourceText,
    typescript.ScriptTarget.Latest,
    true,
    isJson ? typescript.ScriptKind.JSON : typescript.ScriptKind.TS,
  );
  const root = findRoot(typescript, source, isJson);
  return paths.map((path) => {
    if (!root) return undefined;
    const node = walk(typescript, source, root, path);
    if (!node) return undefined;
    const { line, character } = source.getLineAndCharacterOfPosition(node.getStart(source));
    return { line: line + 1, column: character + 1 };
  });
}

function findRoot(typescript: TypeScript, source: ts.SourceFile, isJson: boolean): ts.Node | undefined {
  if (isJson) {
    const statement = source.statements[0];
    return statement && typescript.isExpressionStatement(statement) ? statement.expression : undefined;
  }
  for (const statement of source.statements) {
    if (typescript.isExportAssignment(statement)) return unwrap(typescript, source, statement.expression);
  }
  return undefined;
}

/** Looks through wrappers to the object literal that holds the value. */
function unwrap(
  typescript: TypeScript,
  source: ts.SourceFile,
  expression: ts.Expression,
  depth = 0,
): ts.Expression {
  if (depth > 20) return expression;
  if (
    typescript.isParenthesizedExpression(expression) ||
    typescript.isSatisfiesExpression(expression) ||
    typescript.isAsExpression(expression) ||
    typescript.isTypeAssertionExpression(expression) ||
    typescript.isNonNullExpression(expression)
  ) {
    return unwrap(typescript, source, expression.expression, depth + 1);
  }
  if (typescript.isCallExpression(expression) && expression.arguments[0]) {
    return unwrap(typescript, source, expression.arguments[0], depth + 1);
  }
  if (typescript.isIdentifier(expression)) {
    const initializer = findVariable(typescript, source, expression.text);
    return initializer ? unwrap(typescript, source, initializer, depth + 1) : expression;
  }
  return expression;
}

function findVariable(
  typescript: TypeScript,
  source: ts.SourceFile,
  name: string,
): ts.Expression | undefined {
  for (const statement of source.statements) {
    if (!typescript.isVariableStatement(statement)) continue;
    for (const declaration of statement.declarationList.declarations) {
      if (typescript.isIdentifier(declaration.name) && declaration.name.text === name)
        return declaration.initializer;
    }
  }
  return undefined;
}

function propertyName(typescript: TypeScript, name: ts.PropertyName): string | undefined {
  if (
    typescript.isIdentifier(name) ||
    typescript.isStringLiteral(name) ||
    typescript.isNumericLiteral(name)
  ) {
    return name.text;
  }
  if (typescript.isNoSubstitutionTemplateLiteral(name)) return name.text;
  return undefined;
}

/** Follows the path; returns the property (or element) node of the deepest segment found. */
function walk(
  typescript: TypeScript,
  source: ts.SourceFile,
  root: ts.Node,
  path: FieldPath,
): ts.Node | undefined {
  let container: ts.Node = root;
  let found: ts.Node | undefined = root;
  for (const segment of path) {
    const value = unwrapNode(typescript, source, container);
    let next: { holder: ts.Node; value: ts.Node } | undefined;
    if (typescript.isObjectLiteralExpression(value)) {
      for (const property of value.properties) {
        if (
          typescript.isPropertyAssignment(property) &&
          propertyName(typescript, property.name) === String(segment)
        ) {
          next = { holder: property, value: property.initializer };
        } else if (
          typescript.isShorthandPropertyAssignment(property) &&
          property.name.text === String(segment)
        ) {
          next = { holder: property, value: property.name };
        }
      }
    } else if (typescript.isArrayLiteralExpression(value) && typeof segment === "number") {
      const element = value.elements[segment];
      if (element) next = { holder: element, value: element };
    }
    if (!next) return found;
    found = next.holder;
    container = next.value;
  }
  return found;
}

function unwrapNode(typescript: TypeScript, source: ts.SourceFile, node: ts.Node): ts.Node {
  return typescript.isExpression(node) ? unwrap(typescript, source, node) : node;
}

export interface SyntaxProblem extends SourcePosition {
  readonly message: string;
  /** Where the parser's related hint points, e.g. the `{` that a missing `}` should close. */
  readonly related?: SourcePosition & { readonly message: string };
}

/**
 * The syntax errors TypeScript's parser finds (no type checking), with 1-based positions. Used
 * when evaluating a file failed on its syntax: TypeScript names the real position (and the
 * unclosed bracket) where jiti's parser reports only where it gave up.
 */
export async function findSyntaxErrors(sourceText: string, fileName: string): Promise<SyntaxProblem[]> {
  const typescript = await loadTypeScript();
  const output = typescript.transpileModule(sourceText, {
    fileName,
    reportDiagnostics: true,
    compilerOptions: { target: typescript.ScriptTarget.Latest, module: typescript.ModuleKind.ESNext },
  });
  const problems: SyntaxProblem[] = [];
  for (const diagnostic of output.diagnostics ?? []) {
    if (diagnostic.file === undefined || diagnostic.start === undefined) continue;
    const position = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
    const [hint] = diagnostic.relatedInformation ?? [];
    const hintPosition =
      hint?.file && hint.start !== undefined
        ? hint.file.getLineAndCharacterOfPosition(hint.start)
        : undefined;
    problems.push({
      line: position.line + 1,
      column: position.character + 1,
      message: typescript.flattenDiagnosticMessageText(diagnostic.messageText, " "),
      ...(hint && hintPosition
        ? {
            related: {
              line: hintPosition.line + 1,
              column: hintPosition.character + 1,
              message: typescript.flattenDiagnosticMessageText(hint.messageText, " "),
            },
          }
        : {}),
    });
  }
  return problems;
}

/** Where the file's first `export` statement is and what it exports (for "no default export"). */
export async function locateExports(
  sourceText: string,
  fileName: string,
): Promise<{ readonly position?: SourcePosition; readonly defaultExport?: SourcePosition }> {
  const typescript = await loadTypeScript();
  const source = typescript.createSourceFile(fileName, sourceText, typescript.ScriptTarget.Latest, true);
  const at = (node: ts.Node): SourcePosition => {
    const { line, character } = source.getLineAndCharacterOfPosition(node.getStart(source));
    return { line: line + 1, column: character + 1 };
  };
  let position: SourcePosition | undefined;
  let defaultExport: SourcePosition | undefined;
  for (const statement of source.statements) {
    const modifiers = typescript.canHaveModifiers(statement) ? typescript.getModifiers(statement) : undefined;
    const exported =
      typescript.isExportAssignment(statement) ||
      typescript.isExportDeclaration(statement) ||
      (modifiers ?? []).some((m) => m.kind === typescript.SyntaxKind.ExportKeyword);
    if (!exported) continue;
    position ??= at(statement);
    const isDefault =
      typescript.isExportAssignment(statement) ||
      (modifiers ?? []).some((m) => m.kind === typescript.SyntaxKind.DefaultKeyword);
    if (isDefault) defaultExport ??= at(statement);
  }
  return { ...(position ? { position } : {}), ...(defaultExport ? { defaultExport } : {}) };
}

/**
 * A few lines of source around a position, with a caret under the column:
 *
 *     2 |   name: "lab"
 *   > 3 |   prefix: "lab",
 *       |   ^
 */
export function codeFrame(sourceText: string, position: SourcePosition, context = 2): string {
  const lines = sourceText.split(/\r?\n/);
  // The empty "line" after a final newline is not worth showing.
  if (lines.length > 1 && lines.at(-1) === "") lines.pop();
  const first = Math.max(1, position.line - context);
  const last = Math.min(lines.length, position.line + 1);
  const width = String(last).length;
  const clip = (text: string) => (text.length > 120 ? `${text.slice(0, 120)}…` : text);
  const frame: string[] = [];
  for (let number = first; number <= last; number++) {
    const text = clip((lines[number - 1] ?? "").replace(/\t/g, " "));
    const marker = number === position.line ? ">" : " ";
    frame.push(`${marker} ${String(number).padStart(width)} | ${text}`.trimEnd());
    if (number === position.line) {
      const column = Math.min(Math.max(position.column, 1), 121);
      frame.push(`  ${" ".repeat(width)} | ${" ".repeat(column - 1)}^`);
    }
  }
  return frame.join("\n");
}
