import { describe, expect, it } from "vitest";
import { KURED_DAYS, type KuredSchedule, kuredSchedule } from "./window.js";

/**
 * kured's `TimeWindow.Contains` (kubereboot/kured 1.23.0 pkg/timewindow/timewindow.go lines
 * 44-68), ported: the weekday of the local time must be listed, and the local time of day must
 * lie between start and end (end inclusive to its last nanosecond; a start after the end wraps
 * around midnight). The local wall clock comes from Node's own time zone database (ICU), so the
 * `Etc/GMT±N` names — whose sign is the reverse of the offset — are checked independently.
 */
const formats = new Map<string, Intl.DateTimeFormat>();

function kuredContains(schedule: KuredSchedule, instant: Date): boolean {
  let format = formats.get(schedule.timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone: schedule.timeZone,
      weekday: "short",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      hourCycle: "h23",
    });
    formats.set(schedule.timeZone, format);
  }
  const parts = format.formatToParts(instant);
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? "";
  const weekday = KURED_DAYS.indexOf(part("weekday").toLowerCase() as (typeof KURED_DAYS)[number]);
  if (!schedule.rebootDays.includes(KURED_DAYS[weekday]!)) return false;
  const seconds = (hms: string) => {
    const [h = 0, m = 0, s = 0] = hms.split(":").map(Number);
    return h * 3600 + m * 60 + s;
  };
  const now = Number(part("hour")) * 3600 + Number(part("minute")) * 60 + Number(part("second"));
  let start = seconds(schedule.startTime);
  let end = seconds(schedule.endTime) + 0.999999999;
  if (start > end) {
    if (now < end) start -= 86400;
    else end += 86400;
  }
  return now >= start && now <= end;
}

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
/** Sunday 2026-01-04 00:00:00 UTC. */
const WEEK_START = Date.UTC(2026, 0, 4);

/** Whether an instant lies in the window as the environment means it (UTC, start inclusive, end exclusive). */
function intended(start: string, lengthMinutes: number, instant: Date): boolean {
  const [day = "", time = ""] = start.split(" ");
  const [h = 0, m = 0] = time.split(":").map(Number);
  const opens = (DAYS.indexOf(day) * 1440 + h * 60 + m) * 60;
  const at = ((instant.getTime() - WEEK_START) / 1000) % (7 * 86400);
  const offset = (at - opens + 7 * 86400) % (7 * 86400);
  return offset < lengthMinutes * 60;
}

const WINDOWS: [string, string, number, Partial<KuredSchedule>][] = [
  // window start, length, minutes, what kured gets
  ["Sun 03:00", "3h", 180, { rebootDays: ["sun"], startTime: "03:00", endTime: "05:59:59", timeZone: "UTC" }],
  ["Sun 04:00", "1h", 60, { rebootDays: ["sun"], startTime: "04:00", endTime: "04:59:59", timeZone: "UTC" }],
  ["Sat 04:00", "2h", 120, { rebootDays: ["sat"], startTime: "04:00", endTime: "05:59:59", timeZone: "UTC" }],
  ["Wed 12:30", "45m", 45, { rebootDays: ["wed"], startTime: "12:30", endTime: "13:14:59", timeZone: "UTC" }],
  // Ends exactly at midnight: still one UTC day.
  ["Fri 21:00", "3h", 180, { rebootDays: ["fri"], startTime: "21:00", endTime: "23:59:59", timeZone: "UTC" }],
  // Crosses midnight: written one hour ahead of UTC, where it is Sun 00:00–03:00.
  [
    "Sat 23:00",
    "3h",
    180,
    { rebootDays: ["sun"], startTime: "00:00", endTime: "02:59:59", timeZone: "Etc/GMT-1" },
  ],
  // Crosses midnight by an hour: one hour behind UTC it is Mon 19:00–24:00.
  [
    "Mon 20:00",
    "5h",
    300,
    { rebootDays: ["mon"], startTime: "19:00", endTime: "23:59:59", timeZone: "Etc/GMT+1" },
  ],
  // Crosses midnight into the next week: two hours ahead of UTC (nearer than three behind) it is
  // Sun 00:30–04:30.
  [
    "Sat 22:30",
    "4h",
    240,
    { rebootDays: ["sun"], startTime: "00:30", endTime: "04:29:59", timeZone: "Etc/GMT-2" },
  ],
  // A long window that crosses midnight fits only two hours *ahead* of UTC: Mon 00:00–20:00.
  [
    "Sun 22:00",
    "20h",
    1200,
    { rebootDays: ["mon"], startTime: "00:00", endTime: "19:59:59", timeZone: "Etc/GMT-2" },
  ],
  [
    "Sun 00:00",
    "24h",
    1440,
    { rebootDays: ["sun"], startTime: "00:00", endTime: "23:59:59", timeZone: "UTC" },
  ],
];

describe("kuredSchedule", () => {
  it.each(WINDOWS)("%s for %s", (start, length, minutes, expected) => {
    const result = kuredSchedule({ start, length });
    if (!result.ok) throw new Error(result.problem);
    expect(result.schedule).toMatchObject(expected);
    // Every 30 seconds of a week: kured allows a reboot exactly when the environment's window is open.
    for (let at = WEEK_START; at < WEEK_START + 7 * 86400_000; at += 30_000) {
      const instant = new Date(at);
      expect(kuredContains(result.schedule, instant), instant.toISOString()).toBe(
        intended(start, minutes, instant),
      );
    }
  });

  it("names the window as a person reads it", () => {
    const describe = (start: string, length: string) => {
      const result = kuredSchedule({ start, length });
      return result.ok ? result.schedule.description : result.problem;
    };
    expect(describe("Sun 03:00", "3h")).toBe("Sun 03:00–06:00 UTC");
    expect(describe("Sat 23:00", "3h")).toBe("Sat 23:00–Sun 02:00 UTC");
    expect(kuredSchedule(undefined)).toMatchObject({
      ok: true,
      schedule: { rebootDays: KURED_DAYS, startTime: "00:00", endTime: "23:59:59", timeZone: "UTC" },
    });
  });

  it.each([
    ["Sun 03:00", "0h", /never opens/],
    ["Sun 03:00", "25h", /longer than a day/],
    ["Sun 03:00", "1441m", /longer than a day/],
    ["Sun 03:07", "24h", /crosses midnight in every time zone/],
    ["Mon 00:30", "24h", /crosses midnight in every time zone/],
  ])("refuses %s for %s", (start, length, problem) => {
    const result = kuredSchedule({ start, length });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problem).toMatch(problem);
  });
});
