import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ERROR_CODES, errorPage } from "../../src/errors/codes.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

function walk(dir: string, keep: (path: string) => boolean): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walk(path, keep));
    else if (keep(path)) out.push(path);
  }
  return out;
}

const markdownFiles = [join(root, "README.md"), ...walk(join(root, "docs"), (p) => p.endsWith(".md"))];

/** Relative links of a Markdown file, outside code blocks. */
function relativeLinks(markdown: string): string[] {
  const withoutCode = markdown.replace(/```[\s\S]*?```/g, "").replace(/`[^`\n]*`/g, "");
  const links: string[] = [];
  for (const match of withoutCode.matchAll(/\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
    const target = match[1] ?? "";
    if (/^[a-z]+:/i.test(target) || target.startsWith("#")) continue;
    links.push(target);
  }
  return links;
}

describe("documentation links", () => {
  it.each(markdownFiles.map((file) => [relative(root, file), file]))(
    "%s: every relative link resolves",
    (_name, file) => {
      const broken = relativeLinks(readFileSync(file, "utf8")).filter((link) => {
        const path = decodeURIComponent(link.split("#")[0] ?? "");
        return path !== "" && !existsSync(resolve(dirname(file), path));
      });
      expect(broken).toEqual([]);
    },
  );
});

const sourceFiles = [
  ...walk(join(root, "src"), (p) => p.endsWith(".ts") && !p.endsWith(".test.ts")),
  join(root, "bin", "homelab.js"),
].filter((p) => !p.endsWith(join("errors", "codes.ts")));
const sources = sourceFiles.map((file) => readFileSync(file, "utf8")).join("\n");
const pagesDir = join(root, "docs", "common-errors");

describe("error codes and their pages", () => {
  const codes = Object.keys(ERROR_CODES) as (keyof typeof ERROR_CODES)[];

  it.each(codes)("%s has a page with symptom, cause and fix", (code) => {
    const page = join(root, errorPage(code));
    expect(existsSync(page), `${errorPage(code)} is missing`).toBe(true);
    const text = readFileSync(page, "utf8");
    expect(text.startsWith(`# ${code}`), `${errorPage(code)} must start with "# ${code}"`).toBe(true);
    for (const heading of ["## Symptom", "## Cause", "## Fix"]) expect(text).toContain(heading);
  });

  it.each(codes)("%s is emitted somewhere in the code", (code) => {
    // A code nobody emits is a page nobody reaches.
    expect(
      sources.includes(`"${code}"`) || sources.includes(`[${code}]`),
      `no source mentions "${code}"`,
    ).toBe(true);
  });

  it("every page belongs to a code and is listed in the index", () => {
    const index = readFileSync(join(pagesDir, "README.md"), "utf8");
    const pages = readdirSync(pagesDir).filter((f) => f.endsWith(".md") && f !== "README.md");
    for (const page of pages) {
      const code = page.replace(/\.md$/, "");
      expect(Object.hasOwn(ERROR_CODES, code), `${page} has no code in src/errors/codes.ts`).toBe(true);
      expect(index, `docs/common-errors/README.md does not link ${page}`).toContain(`(${page})`);
    }
    expect(statSync(pagesDir).isDirectory()).toBe(true);
  });
});

describe("README and CI agree", () => {
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const ci = readFileSync(join(root, ".ci", "run"), "utf8");

  it("the README's run command installs with npm ci and runs homelab up", () => {
    expect(readme).toMatch(/npm ci\b[\s\S]{0,200}npx homelab up/);
  });

  it("CI installs with npm ci and runs the README's test command", () => {
    expect(readme).toContain("npm test");
    expect(ci).toMatch(/^npm ci\b/m);
    // `offline` runs it in a network namespace with only loopback (see .ci/run).
    expect(ci).toMatch(/^(offline )?npm test$/m);
  });
});
