import fs from 'node:fs';
import path from 'node:path';

/**
 * Who owns each table, and who touches which, read from the source alone (no
 * database): a table (or view, or SQL function) belongs to whoever's
 * migrations create it, the core (server/migrations) or a module
 * (modules/<name>/migrations); a reference is a table name after FROM, JOIN,
 * INTO, UPDATE or TRUNCATE, or a call of a function, inside a string of a
 * file's code. Reading another module's view is not reaching across: a view
 * is the SQL a module publishes for others to read (writing to one is).
 */

const ROOT = path.resolve(__dirname, '..', '..');
export const CORE = 'core';

export interface SqlObject {
  name: string;
  kind: 'table' | 'view' | 'function';
  owner: string;
}

function migrationDirs(): { owner: string; dir: string }[] {
  const modules = fs
    .readdirSync(path.join(ROOT, 'modules'), { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => ({ owner: e.name, dir: path.join(ROOT, 'modules', e.name, 'migrations') }));
  return [{ owner: CORE, dir: path.join(ROOT, 'server', 'migrations') }, ...modules].filter((m) => fs.existsSync(m.dir));
}

/** Every table, view and function the migrations create, by name, with the module that creates it. */
export function sqlOwners(): Map<string, SqlObject> {
  const owners = new Map<string, SqlObject>();
  const created =
    /\bcreate\s+(?:or\s+replace\s+)?(?:(?:unlogged\s+)?(table)|(?:materialized\s+)?(view)|(function))\s+(?:if\s+not\s+exists\s+)?(?:public\.)?([a-z_][a-z0-9_]*)/gi;
  for (const { owner, dir } of migrationDirs()) {
    for (const file of fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.sql'))
      .sort()) {
      const sql = fs.readFileSync(path.join(dir, file), 'utf8').replace(/--.*$/gm, '');
      for (const m of sql.matchAll(created)) {
        const name = m[4].toLowerCase();
        const kind = m[1] ? 'table' : m[2] ? 'view' : 'function';
        const before = owners.get(name);
        if (before && before.owner !== owner) throw new Error(`${name} is created by both ${before.owner} and ${owner}`);
        owners.set(name, { name, kind, owner });
      }
    }
  }
  return owners;
}

export interface SqlReference {
  /** Path from the repository's root. */
  file: string;
  /** The module whose code it is, or core for server/. */
  from: string;
  name: string;
  owner: string;
  how: 'reads' | 'writes' | 'calls';
}

/**
 * The text of every string and template in a TypeScript file, comments left
 * out (a template's parts joined by a space where its expressions were; the
 * strings inside those expressions come out on their own). A small scanner,
 * not the compiler: it needs to tell only code, comments, strings, templates
 * and regular expressions apart.
 */
export function stringsOf(code: string): string[] {
  const out: string[] = [];
  // The template being read at each depth of nested `${...}`, with the brace depth at which its expression closes.
  const templates: { parts: string[]; current: string; braces: number }[] = [];
  let braces = 0;
  let lastSignificant = '';
  let i = 0;
  const readTemplate = () => {
    const t = templates[templates.length - 1];
    while (i < code.length) {
      const c = code[i];
      if (c === '\\') {
        t.current += code.slice(i, i + 2);
        i += 2;
      } else if (c === '`') {
        i++;
        templates.pop();
        out.push([...t.parts, t.current].join(' '));
        lastSignificant = '`';
        return;
      } else if (c === '$' && code[i + 1] === '{') {
        i += 2;
        t.parts.push(t.current);
        t.current = '';
        t.braces = ++braces;
        lastSignificant = '{';
        return;
      } else {
        t.current += c;
        i++;
      }
    }
  };
  while (i < code.length) {
    const c = code[i];
    if (c === '/' && code[i + 1] === '/') {
      while (i < code.length && code[i] !== '\n') i++;
    } else if (c === '/' && code[i + 1] === '*') {
      const end = code.indexOf('*/', i + 2);
      i = end < 0 ? code.length : end + 2;
    } else if (c === "'" || c === '"') {
      let text = '';
      for (i++; i < code.length && code[i] !== c; i++) {
        if (code[i] === '\\') i++;
        text += code[i];
      }
      i++;
      out.push(text);
      lastSignificant = c;
    } else if (c === '`') {
      i++;
      templates.push({ parts: [], current: '', braces: -1 });
      readTemplate();
    } else if (
      c === '/' &&
      (lastSignificant === '' ||
        '(,=:[!&|?{};+-*%<>~^'.includes(lastSignificant) ||
        /\b(return|typeof|case|of|in)$/.test(code.slice(Math.max(0, i - 8), i).trimEnd()))
    ) {
      // A regular expression literal: skipped whole, so a quote inside it starts nothing.
      let inClass = false;
      for (i++; i < code.length; i++) {
        if (code[i] === '\\') i++;
        else if (code[i] === '[') inClass = true;
        else if (code[i] === ']') inClass = false;
        else if (code[i] === '/' && !inClass) break;
      }
      i++;
      lastSignificant = '/';
    } else {
      if (c === '{') braces++;
      if (c === '}') {
        const t = templates[templates.length - 1];
        if (t && t.braces === braces) {
          braces--;
          i++;
          readTemplate();
          continue;
        }
        braces--;
      }
      if (!/\s/.test(c)) lastSignificant = /[A-Za-z0-9_$]/.test(c) ? 'a' : c;
      i++;
    }
  }
  return out;
}

function codeFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules' && entry.name !== 'fixtures') out.push(...codeFiles(full));
    } else if (/\.ts$/.test(entry.name) && !/\.d\.ts$|\.test\.ts$|\.suite\.ts$/.test(entry.name)) out.push(full);
  }
  return out.sort();
}

const WRITE = /\b(?:insert\s+into|update|delete\s+from|truncate(?:\s+table)?)\s+(?:only\s+)?([a-z_][a-z0-9_]*)/gi;
const READ = /\b(?:from|join)\s+(?:only\s+)?([a-z_][a-z0-9_]*)/gi;
const REGCLASS = /\bto_regclass\(\s*'([a-z_][a-z0-9_]*)'/gi;
const CALL = /\b([a-z_][a-z0-9_]*)\s*\(/gi;

/** Every reference in the code of server/ and each module (tests left out) to a table, view or function that another owner made. */
export function crossOwnerReferences(owners = sqlOwners()): SqlReference[] {
  const found = new Map<string, SqlReference>();
  const places = [
    { from: CORE, dir: path.join(ROOT, 'server') },
    ...fs
      .readdirSync(path.join(ROOT, 'modules'), { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => ({ from: e.name, dir: path.join(ROOT, 'modules', e.name) })),
  ];
  for (const { from, dir } of places) {
    for (const file of codeFiles(dir)) {
      const relative = path.relative(ROOT, file);
      const note = (name: string, how: SqlReference['how'], kinds: SqlObject['kind'][]) => {
        const object = owners.get(name.toLowerCase());
        if (!object || object.owner === from || !kinds.includes(object.kind)) return;
        // Every module builds on the core: its tables are there for all of them.
        if (object.owner === CORE) return;
        const key = `${relative} ${how} ${object.name}`;
        if (!found.has(key) && !(how === 'reads' && found.has(`${relative} writes ${object.name}`))) {
          found.set(key, { file: relative, from, name: object.name, owner: object.owner, how });
        }
        // A file that writes a table also reads it, usually: the write says more.
        if (how === 'writes') found.delete(`${relative} reads ${object.name}`);
      };
      for (const text of stringsOf(fs.readFileSync(file, 'utf8'))) {
        for (const m of text.matchAll(WRITE)) note(m[1], 'writes', ['table', 'view']);
        // A view is what its module publishes for others to read in SQL (modules/organisations/migrations/002_member_organisations.sql).
        for (const m of text.matchAll(READ)) note(m[1], 'reads', ['table']);
        for (const m of text.matchAll(REGCLASS)) note(m[1], 'reads', ['table']);
        for (const m of text.matchAll(CALL)) note(m[1], 'calls', ['function']);
      }
    }
  }
  return [...found.values()].sort((a, b) => describe(a).localeCompare(describe(b)));
}

/** One line per reference: where, how, what and whose. */
export function describe(r: SqlReference): string {
  return `${r.file} ${r.how} ${r.name} (${r.owner})`;
}
