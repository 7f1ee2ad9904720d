/** Butane's warning for modes that look like decimal typed where octal was meant (base/util). */
export const ERR_DECIMAL_MODE =
  "unreasonable mode would be reasonable if specified in octal; remember to add a leading zero";

export function checkDecimalMode(mode: number, directory: boolean): string | undefined {
  const corrected = decimalModeToOctal(mode);
  if (corrected === undefined) return undefined;
  return !isTypicalMode(mode, directory) && isTypicalMode(corrected, directory)
    ? ERR_DECIMAL_MODE
    : undefined;
}

/** Reads the digits of a decimal number as octal; undefined if out of range or a digit is 8 or 9. */
function decimalModeToOctal(mode: number): number | undefined {
  if (mode < 0 || mode > 7777) return undefined;
  let result = 0;
  for (let divisor = 1000; divisor > 0; divisor = Math.floor(divisor / 10)) {
    const digit = Math.floor(mode / divisor) % 10;
    if (digit > 7) return undefined;
    result = (result << 3) | digit;
  }
  return result;
}

/** Whether a mode is unsurprising for a file or directory (same rules as the reference). */
function isTypicalMode(mode: number, directory: boolean): boolean {
  if (mode === 0) return true;
  const perms = [mode & 0o7, (mode & 0o70) >> 3, (mode & 0o700) >> 6];
  let hadR = false;
  let hadW = false;
  let hadX = false;
  for (const perm of perms) {
    const r = (perm & 4) !== 0;
    const w = (perm & 2) !== 0;
    const x = (perm & 1) !== 0;
    // a more specific class must have every bit of a less specific one
    if ((!r && hadR) || (!w && hadW) || (!x && hadX)) return false;
    // executable but a less specific class may read without executing
    if (x && hadR && !hadX) return false;
    // write-only and execute-only are uncommon
    if ((w || x) && !r) return false;
    hadR ||= r;
    hadW ||= w;
    hadX ||= x;
  }
  if (!hadR) return false;
  if (directory) {
    if (!hadX) return false;
    if ((mode & 0o4000) !== 0) return false;
    if ((mode & 0o3000) !== 0 && !hadW) return false;
  } else {
    if ((mode & 0o6000) !== 0) {
      if (!hadX) return false;
      if ((mode & 2) !== 0) return false;
    }
    if ((mode & 0o1000) !== 0) return false;
  }
  return true;
}
