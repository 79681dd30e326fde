/**
 * Writes docs/architecture.md (npm run docs:architecture) from what the
 * boundary check enforces: each module's dependsOn and the rules in
 * scripts/module-rules.js, and each module's api.ts. A unit test fails when
 * the committed file differs from what this writes.
 */
import fs from 'node:fs';
import path from 'node:path';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { declaredModules, forbiddenRules, ROOT } = require('./module-rules') as {
  declaredModules(root?: string): { name: string; dependsOn: string[] }[];
  forbiddenRules(modules: { name: string; dependsOn: string[] }[]): { name: string; comment: string }[];
  ROOT: string;
};

export const ARCHITECTURE_FILE = path.join(ROOT, 'docs', 'architecture.md');

interface PublicSurface {
  /** The api.ts file's opening comment: what the module offers. */
  offers: string;
  exports: string[];
}

/** What modules/<name>/api.ts says the module offers and the names it exports; null when it has none. */
export function publicSurface(root: string, name: string): PublicSurface | null {
  const file = path.join(root, 'modules', name, 'api.ts');
  if (!fs.existsSync(file)) return null;
  const text = fs.readFileSync(file, 'utf8');
  // "What the board module offers other modules: its disclosure control" reads in the table as "Its disclosure control".
  const comment = /^\/\/\s*(.*)$/m.exec(text)?.[1].trim() ?? '';
  const offers = comment.replace(/^What the [\w-]+ module offers [^:]*:\s*(.)/i, (_all, first: string) => first.toUpperCase());
  const exports = [...text.matchAll(/export\s+(?:type\s+)?\{([^}]*)\}/g)]
    .flatMap((m) => m[1].split(','))
    .map((s) => s.trim().replace(/^type\s+/, ''))
    .filter(Boolean)
    .map((s) => s.split(/\s+as\s+/).pop()!);
  return { offers, exports: [...new Set(exports)].sort((a, b) => a.localeCompare(b, 'en', { sensitivity: 'base' })) };
}

/** docs/architecture.md as it should read. */
export function architectureMarkdown(root = ROOT): string {
  const modules = declaredModules(root);
  const usedBy = new Map(modules.map((m) => [m.name, modules.filter((o) => o.dependsOn.includes(m.name)).map((o) => o.name)]));
  const rules = forbiddenRules(modules).filter((r, i, all) => all.findIndex((o) => o.name === r.name) === i);
  const id = (name: string) => name.replace(/-/g, '_');
  const lines = [
    '# Architecture: the modules and the arrows between them',
    '',
    "<!-- Written by `npm run docs:architecture` (scripts/architecture.ts) from each module's dependsOn, the",
    "rules in scripts/module-rules.js and each module's api.ts. Do not edit by hand: a unit test fails when it",
    'differs from what the script writes. -->',
    '',
    'The product is the server (`server/`, the composition root) and one folder per feature under `modules/`.',
    'Each module is declared in its `index.ts`, which only the server loads. What other modules may use of it',
    'is its `api.ts`; everything else in the folder is its own. `npm run depcheck` (part of `npm test`)',
    'enforces these rules with dependency-cruiser:',
    '',
    ...rules.map(
      (r) =>
        `- **${r.name}**: ${r.name === 'import-not-in-dependsOn' ? "a module imports another only when its index.ts lists it in dependsOn (the arrows below); dependsOn also orders the modules' migrations and start-up." : r.comment}`,
    ),
    "- A module's own tests (`*.test.ts`, `*.suite.ts`) may import its own files and other modules' `api.ts`;",
    "  `test/` and `scripts/` are not modules and may reach any module's files.",
    '',
    '## Allowed arrows',
    '',
    "An arrow from A to B: A depends on B, so A may import B's api and B loads, migrates and starts first.",
    '',
    '```mermaid',
    'flowchart LR',
    ...modules.map((m) => `  ${id(m.name)}[${m.name}]`),
    ...modules.flatMap((m) => m.dependsOn.map((d) => `  ${id(m.name)} --> ${id(d)}`)),
    '```',
    '',
    '## Modules',
    '',
    '| Module | What it offers other modules (api.ts) | Exports | Depends on | Depended on by |',
    '| --- | --- | --- | --- | --- |',
    ...modules.map((m) => {
      const surface = publicSurface(root, m.name);
      const list = (names: string[]) => (names.length ? names.map((n) => `\`${n}\``).join(', ') : '–');
      return `| ${m.name} | ${surface ? surface.offers : 'Nothing: no api.ts, no other module imports it.'} | ${surface ? list(surface.exports) : '–'} | ${list(m.dependsOn)} | ${list(usedBy.get(m.name)!)} |`;
    }),
    '',
  ];
  return lines.join('\n');
}

if (require.main === module) {
  fs.writeFileSync(ARCHITECTURE_FILE, architectureMarkdown());
  console.log(`Wrote ${path.relative(process.cwd(), ARCHITECTURE_FILE)}`);
}
