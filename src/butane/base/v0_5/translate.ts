import type { IgnObject } from "../../ignition/schema.js";
import type { DecodedStruct } from "../../yaml/decode.js";
import { ERR_NO_FILES_DIR, readLocalFile } from "../local-files.js";
import { BaseTranslator, get } from "../v0_4/translate.js";

/**
 * Base v0_5 translation (base/v0_5/translate.go): v0_4 plus `ssh_authorized_keys_local`
 * (one key per non-empty line, after the inline keys) and `contents_local` for units and
 * drop-ins.
 */
export class BaseTranslatorV0_5 extends BaseTranslator {
  protected override user(from: DecodedStruct, index: number): IgnObject {
    const { ssh_authorized_keys_local: localKeys, ...rest } = from;
    const to = super.user(rest, index);
    const files = get.list(localKeys) ?? [];
    if (files.length === 0) return to;
    const yamlPath = ["passwd", "users", index, "ssh_authorized_keys_local"];
    this.translations.absorb(["passwd", "users", index, "sshAuthorizedKeys"], yamlPath);
    if (!this.options.filesDir) {
      this.report.error(yamlPath, ERR_NO_FILES_DIR);
      return to;
    }
    const keys = (Array.isArray(to.sshAuthorizedKeys) ? to.sshAuthorizedKeys : []) as string[];
    const inlineCount = keys.length;
    for (let i = 0; i < inlineCount; i++) {
      this.translations.prefix(
        ["passwd", "users", index, "sshAuthorizedKeys", i],
        ["passwd", "users", index, "ssh_authorized_keys", i],
      );
    }
    files.forEach((file, fileIndex) => {
      const read = readLocalFile(String(file), this.options);
      if (!read.ok) {
        this.report.error([...yamlPath, fileIndex], read.error);
        return;
      }
      for (const line of read.bytes.toString("utf8").split(/\r?\n/)) {
        if (line === "") continue;
        this.translations.absorb(
          ["passwd", "users", index, "sshAuthorizedKeys", keys.length],
          [...yamlPath, fileIndex],
        );
        keys.push(line);
      }
    });
    to.sshAuthorizedKeys = keys;
    return to;
  }

  protected override unit(from: DecodedStruct, index: number): IgnObject {
    const { contents_local: contentsLocal, dropins, ...rest } = from;
    const to = super.unit(rest, index);
    const dropinList = get.list(dropins);
    if (dropinList) {
      to.dropins = dropinList.map((d, j) => {
        const { contents_local: dropinLocal, ...dropinRest } = get.struct(d);
        const out = super.unit(dropinRest, j);
        this.localContents(out, dropinLocal, ["systemd", "units", index, "dropins", j]);
        return out;
      });
    }
    this.localContents(to, contentsLocal, ["systemd", "units", index]);
    return to;
  }

  private localContents(to: IgnObject, local: unknown, yamlPath: (string | number)[]): void {
    if (typeof local !== "string" || local === "") return;
    const read = readLocalFile(local, this.options);
    if (!read.ok) {
      this.report.error([...yamlPath, "contents_local"], read.error);
      return;
    }
    this.translations.prefix([...yamlPath, "contents"], [...yamlPath, "contents_local"]);
    to.contents = read.bytes.toString("utf8");
  }
}
