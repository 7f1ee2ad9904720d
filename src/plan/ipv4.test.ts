import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  contains,
  formatIpv4,
  hostAddress,
  isHostAddress,
  netmask,
  overlaps,
  parseCidr,
  parseIpv4,
} from "./ipv4.js";

describe("IPv4 arithmetic", () => {
  it("parses and formats every address back to itself", () => {
    fc.assert(
      fc.property(fc.ipV4(), (address) => {
        expect(formatIpv4(parseIpv4(address))).toBe(address);
      }),
    );
  });

  it.each([
    ["192.168.140.0/24", "192.168.140.0/24", 256],
    ["192.168.140.77/24", "192.168.140.0/24", 256],
    ["10.0.0.0/8", "10.0.0.0/8", 16_777_216],
    ["0.0.0.0/0", "0.0.0.0/0", 4_294_967_296],
    ["10.1.2.3/32", "10.1.2.3/32", 1],
  ])("%s is the network %s with %i addresses", (cidr, network, size) => {
    const parsed = parseCidr(cidr);
    expect(parsed.cidr).toBe(network);
    expect(parsed.size).toBe(size);
  });

  it("knows host addresses", () => {
    const net = parseCidr("192.168.140.0/24");
    expect(formatIpv4(hostAddress(net, 10))).toBe("192.168.140.10");
    expect(isHostAddress(net, parseIpv4("192.168.140.0"))).toBe(false);
    expect(isHostAddress(net, parseIpv4("192.168.140.255"))).toBe(false);
    expect(isHostAddress(net, parseIpv4("192.168.140.254"))).toBe(true);
    expect(contains(net, parseIpv4("192.168.141.1"))).toBe(false);
    expect(netmask(24)).toBe("255.255.255.0");
    expect(netmask(0)).toBe("0.0.0.0");
    expect(netmask(32)).toBe("255.255.255.255");
  });

  it.each([
    ["192.168.122.0/24", "192.168.0.0/16", true],
    ["192.168.140.0/24", "192.168.141.0/24", false],
    ["10.42.0.0/16", "10.0.0.0/8", true],
    ["10.42.0.0/16", "10.43.0.0/16", false],
    ["10.43.255.0/24", "10.43.0.0/16", true],
  ])("%s overlaps %s: %s", (a, b, expected) => {
    expect(overlaps(parseCidr(a), parseCidr(b))).toBe(expected);
    expect(overlaps(parseCidr(b), parseCidr(a))).toBe(expected);
  });
});
