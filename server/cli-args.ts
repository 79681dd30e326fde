import { type ParseArgsOptionsConfig, parseArgs } from 'node:util';
import { UsageError } from './errors';

/**
 * Reads a command's `--flags` and bare arguments with Node's own parser, the
 * one way every command does it. A flag the command does not know, a value
 * left out, or too many bare arguments is a UsageError that says which and
 * repeats the command's usage, so a typo is never silently ignored.
 */
export function readFlags<const T extends ParseArgsOptionsConfig>(args: string[], options: T, usage: string, most = { positionals: 0 }) {
  let parsed: ReturnType<typeof parseArgs<{ args: string[]; options: T; allowPositionals: true; strict: true }>>;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(`${plainly((err as Error).message)}\nUsage: ${usage}`);
  }
  if (parsed.positionals.length > most.positionals) {
    throw new UsageError(`"${parsed.positionals[most.positionals]}" is not something this command takes.\nUsage: ${usage}`);
  }
  return parsed;
}

/** A flag the command cannot go without. */
export function required(value: string | undefined, flag: string, usage: string): string {
  if (!value) throw new UsageError(`--${flag} is required.\nUsage: ${usage}`);
  return value;
}

// Node's messages explain how to pass a value that starts with '-'; the first sentence is what the person needs.
function plainly(message: string): string {
  const unknown = message.match(/^Unknown option '([^']+)'/);
  if (unknown) return `Unknown option ${unknown[1]}.`;
  const missing = message.match(/^Option '(--[\w-]+)[^']*' argument (missing|is ambiguous)/);
  if (missing) return `${missing[1]} needs a value.`;
  const notBoolean = message.match(/^Option '(--[\w-]+)' does not take an argument/);
  if (notBoolean) return `${notBoolean[1]} takes no value.`;
  return message.split('. ')[0];
}
