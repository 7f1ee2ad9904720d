import { describe, expect, it } from "vitest";
import { decodeYamlInput } from "./input-encoding.js";

const utf16 = (text: string, littleEndian: boolean): Buffer => {
  const le = Buffer.from(`\uFEFF${text}`, "utf16le");
  return littleEndian ? le : Buffer.from(le.map((_, i) => le[i ^ 1] as number));
};

// Problem texts are libyaml's (go-yaml v3 readerc.go); the conformance cases y32–y37 hold butane's.
describe("decodeYamlInput", () => {
  it.each([
    ["ASCII", Buffer.from("a: b\n"), "a: b\n"],
    ["UTF-8 with a mark", Buffer.from("\uFEFFa: é\n"), "\uFEFFa: é\n"],
    ["four-byte UTF-8", Buffer.from("a: 😀\n"), "a: 😀\n"],
    ["UTF-16LE with a mark", utf16("a: é 😀\n", true), "\uFEFFa: é 😀\n"],
    ["UTF-16BE with a mark", utf16("a: é 😀\n", false), "\uFEFFa: é 😀\n"],
    ["empty", Buffer.alloc(0), ""],
  ])("decodes %s", (_, bytes, text) => {
    expect(decodeYamlInput(bytes)).toEqual({ ok: true, text });
  });

  it.each([
    ["a Latin-1 byte before a space", [0x61, 0xe9, 0x20, 0x62], "invalid trailing UTF-8 octet"],
    ["a Latin-1 byte near the end", [0x61, 0xe9, 0x0a], "incomplete UTF-8 octet sequence"],
    ["a lone continuation octet", [0x61, 0x80], "invalid leading UTF-8 octet"],
    ["an octet no sequence starts with", [0xf8, 0x80, 0x80, 0x80, 0x80], "invalid leading UTF-8 octet"],
    ["an overlong slash", [0xc0, 0xaf], "invalid length of a UTF-8 sequence"],
    ["an encoded surrogate", [0xed, 0xa0, 0x80], "invalid Unicode character"],
    ["beyond U+10FFFF", [0xf4, 0x90, 0x80, 0x80], "invalid Unicode character"],
    ["UTF-16: an odd byte at the end", [0xff, 0xfe, 0x61, 0x00, 0x62], "incomplete UTF-16 character"],
    ["UTF-16: a low surrogate first", [0xff, 0xfe, 0x00, 0xdc], "unexpected low surrogate area"],
    ["UTF-16: a high surrogate at the end", [0xff, 0xfe, 0x3d, 0xd8], "incomplete UTF-16 surrogate pair"],
    [
      "UTF-16: a high surrogate without its low one",
      [0xff, 0xfe, 0x3d, 0xd8, 0x61, 0x00],
      "expected low surrogate area",
    ],
  ])("refuses %s", (_, octets, problem) => {
    expect(decodeYamlInput(Uint8Array.from(octets))).toEqual({ ok: false, problem });
  });

  it("agrees with Node's strict UTF-8 decoder on random bytes", () => {
    let seed = 7;
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed;
    };
    const strict = new TextDecoder("utf-8", { fatal: true });
    for (let round = 0; round < 2000; round++) {
      const bytes = Uint8Array.from({ length: 1 + (next() % 12) }, () => (next() % 2 ? next() % 256 : 0x61));
      if (bytes[0] === 0xff || bytes[0] === 0xfe) continue; // UTF-16 marks: another decoder
      let valid = true;
      try {
        strict.decode(bytes);
      } catch {
        valid = false;
      }
      expect(decodeYamlInput(bytes).ok, Buffer.from(bytes).toString("hex")).toBe(valid);
    }
  });
});
