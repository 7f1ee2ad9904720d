/**
 * ssh does not pass an argument vector: it joins the command words with spaces and the node's
 * login shell parses the result. Every word homelab sends is therefore quoted here, once, so
 * that a path or a script reaches the remote program exactly as written.
 */

/** Characters no POSIX shell treats specially anywhere in a word (`=` is left out: `a=b` first is an assignment). */
const PLAIN_WORD = /^[A-Za-z0-9_@%+:,./-]+$/;

/** One word for a POSIX shell (sh, dash, bash): plain when safe, else single-quoted. */
export function shellQuote(word: string): string {
  if (word.includes("\0")) throw new Error("a shell word cannot contain a NUL byte");
  if (PLAIN_WORD.test(word)) return word;
  // Inside single quotes nothing is special; a single quote itself ends the quote, is escaped, and reopens it.
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The command line the remote shell turns back into exactly `argv`. */
export function remoteCommandLine(argv: readonly string[]): string {
  if (argv.length === 0) throw new Error("a remote command needs at least one word");
  return argv.map(shellQuote).join(" ");
}
