/**
 * The command line of a tooling bench, handled the same way by every script here:
 * - `-h` / `--help` prints the script's header comment (its documentation: flags, defaults, what it prints) and exits 0;
 * - otherwise the command is echoed as the first line, so the figures that follow carry the command that made them;
 * - `parse` reads the flags (npm's `--` dropped); a flag it rejects (it throws) is one line on stderr naming the
 *   script, and exit code 2, not a stack trace.
 */
import { readFileSync } from "node:fs";
import { basename, relative } from "node:path";
import { fileURLToPath } from "node:url";

/** The text of the first block comment of `source`, without its comment markers. */
export function headerComment(source: string): string {
  const match = /\/\*\*([\s\S]*?)\*\//.exec(source);
  if (!match) return "";
  return match[1]
    .split("\n")
    .map((line) => line.replace(/^\s*\* ?/, ""))
    .join("\n")
    .trim();
}

/** Reads a bench's flags with `parse`; see the module comment for --help, the echo and errors. */
export function benchArgs<T>(scriptUrl: string, parse: (argv: string[]) => T): T {
  const script = fileURLToPath(scriptUrl);
  const argv = process.argv.slice(2).filter((a) => a !== "--");
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(headerComment(readFileSync(script, "utf8")));
    process.exit(0);
  }
  let args: T;
  try {
    args = parse(argv);
  } catch (error) {
    console.error(`${basename(script)}: ${error instanceof Error ? error.message : String(error)} (--help lists the flags)`);
    process.exit(2);
  }
  console.log(`$ node ${process.execArgv.join(" ")} ${relative(process.cwd(), script)} ${argv.join(" ")}`.trimEnd());
  return args;
}

/** For a bench configured by environment variables only: --help and the echo as above; any flag is refused. */
export function benchWithoutFlags(scriptUrl: string): void {
  benchArgs(scriptUrl, (argv) => {
    if (argv.length) throw new Error(`takes no flags, got ${argv[0]} (settings are environment variables)`);
  });
}
