import type { Environment } from "../environment/schema.js";

/**
 * An environment's update window (`updates.window`: a UTC day and time, and a length) as
 * kured's schedule flags: `--reboot-days`, `--start-time`, `--end-time`, `--time-zone`.
 *
 * kured's window is a time range *within* the days it lists, tested against the weekday of the
 * moment it checks (kubereboot/kured 1.23.0 `pkg/timewindow/timewindow.go` lines 44-68): with a
 * start after the end, every listed day contains both 00:00–end and start–24:00. So
 * "Sat 23:00 for 3h" cannot be written in UTC as one kured window — `--reboot-days=sat
 * --start-time=23:00 --end-time=02:00` would also reboot on Saturday 00:00–02:00 and never on
 * Sunday morning. Such a window is instead written in a fixed-offset zone in which it does not
 * cross midnight (`Etc/GMT+2`, UTC−2: Sat 21:00–24:00), which is the same instants exactly.
 * kured's image carries the time zone database (its Dockerfile installs Alpine's `tzdata`,
 * line 5 at 1.23.0), and the `Etc/GMT±N` zones are fixed offsets, so no daylight saving moves
 * the window.
 *
 * The end is written to the second: kured's end time includes its whole last second
 * (timewindow.go line 52: seconds plus 999999999 ns), so "03:00 for 3h" ends at "05:59:59",
 * not "06:00" (which would hold until 06:00:59). Pure.
 */

/** kured's three-letter day names (`pkg/timewindow/days.go` lines 15-37), Sunday first. */
export const KURED_DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] as const;
export type KuredDay = (typeof KURED_DAYS)[number];

const WINDOW_DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"] as const;

export interface KuredSchedule {
  readonly rebootDays: readonly KuredDay[];
  /** `HH:MM` in `timeZone`. */
  readonly startTime: string;
  /** `HH:MM:SS` in `timeZone`, the last second of the window. */
  readonly endTime: string;
  /** `UTC`, or a fixed-offset `Etc/GMT±N` zone for a window that crosses midnight in UTC. */
  readonly timeZone: string;
  /** The window as a person reads it, e.g. "Sun 03:00–06:00 UTC". */
  readonly description: string;
}

export type ScheduleResult =
  | { readonly ok: true; readonly schedule: KuredSchedule }
  | { readonly ok: false; readonly problem: string };

const MINUTES_PER_DAY = 24 * 60;
/** The offsets the IANA `Etc/GMT±N` zones cover: UTC−12 … UTC+14. */
const OFFSETS = { lowest: -12, highest: 14 } as const;

type Window = NonNullable<Environment["updates"]["window"]>;

/** Minutes of a `1h` / `90m` length, or undefined when it is not one. */
export function windowLengthMinutes(length: string): number | undefined {
  const match = /^(\d+)([hm])$/.exec(length);
  if (!match) return undefined;
  return Number(match[1]) * (match[2] === "h" ? 60 : 1);
}

const pad = (value: number) => String(value).padStart(2, "0");

function clock(minutes: number): string {
  return `${pad(Math.floor(minutes / 60))}:${pad(minutes % 60)}`;
}

function zoneName(offsetHours: number): string {
  if (offsetHours === 0) return "UTC";
  // POSIX-style names: Etc/GMT+2 is two hours *behind* UTC.
  return offsetHours < 0 ? `Etc/GMT+${-offsetHours}` : `Etc/GMT-${offsetHours}`;
}

/** Offsets to try, nearest to UTC first: 0, −1, +1, −2, +2, … */
function offsetsByDistance(): number[] {
  const offsets = [0];
  for (let distance = 1; distance <= Math.max(-OFFSETS.lowest, OFFSETS.highest); distance++) {
    if (-distance >= OFFSETS.lowest) offsets.push(-distance);
    if (distance <= OFFSETS.highest) offsets.push(distance);
  }
  return offsets;
}

/** The schedule of `window`; no window means any time of any day (kured's own defaults, spelled out). */
export function kuredSchedule(window: Window | undefined): ScheduleResult {
  if (window === undefined) {
    return {
      ok: true,
      schedule: {
        rebootDays: [...KURED_DAYS],
        startTime: "00:00",
        endTime: "23:59:59",
        timeZone: "UTC",
        description: "any day, any time (no updates.window)",
      },
    };
  }
  const match = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (\d\d):(\d\d)$/.exec(window.start);
  const length = windowLengthMinutes(window.length);
  if (!match || length === undefined) return { ok: false, problem: "the window is malformed" };
  const day = WINDOW_DAYS.indexOf(match[1] as (typeof WINDOW_DAYS)[number]);
  const start = Number(match[2]) * 60 + Number(match[3]);
  if (length < 1) return { ok: false, problem: `a window of ${window.length} never opens` };
  if (length > MINUTES_PER_DAY) {
    return {
      ok: false,
      problem: `a window of ${window.length} is longer than a day, and kured's window is a time range within the days it lists`,
    };
  }
  const end = start + length;
  const endDay = WINDOW_DAYS[(day + Math.floor(end / MINUTES_PER_DAY)) % 7];
  const sameDay = end < MINUTES_PER_DAY;
  const description = `${window.start}–${sameDay ? "" : `${endDay} `}${clock(end % MINUTES_PER_DAY)} UTC`;
  for (const offset of offsetsByDistance()) {
    const localStart = start + offset * 60;
    const dayShift = Math.floor(localStart / MINUTES_PER_DAY);
    const fromMidnight = localStart - dayShift * MINUTES_PER_DAY;
    if (fromMidnight + length > MINUTES_PER_DAY) continue;
    const lastSecond = (fromMidnight + length) * 60 - 1;
    return {
      ok: true,
      schedule: {
        rebootDays: [KURED_DAYS[(day + dayShift + 7) % 7]!],
        startTime: clock(fromMidnight),
        endTime: `${pad(Math.floor(lastSecond / 3600))}:${pad(Math.floor(lastSecond / 60) % 60)}:${pad(lastSecond % 60)}`,
        timeZone: zoneName(offset),
        description,
      },
    };
  }
  return {
    ok: false,
    problem: `${window.start} for ${window.length} crosses midnight in every time zone kured can be given`,
  };
}
