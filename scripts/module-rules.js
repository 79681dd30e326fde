// The modules' boundaries as dependency-cruiser rules, built from what each
// module declares. Read by .dependency-cruiser.cjs (npm run depcheck), by
// scripts/architecture.ts (docs/architecture.md) and by their tests.
//
// dependency-cruiser cannot run TypeScript, so each modules/<name>/index.ts's
// `dependsOn` is read here as the literal list it is written as, rather than
// by loading the modules (which would run every module's code, and need a
// TypeScript loader, only to check imports) or by moving it to a data file
// (which every index.ts would then have to read). A declaration this cannot
// read fails loudly, and a unit test checks that what it reads is what the
// server loads (server/module.ts), so the two cannot drift apart.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');

/** Each module folder with an index.ts: its name and the modules it declares it depends on, sorted by name. */
function declaredModules(root = ROOT) {
  const modulesDir = path.join(root, 'modules');
  return fs
    .readdirSync(modulesDir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && fs.existsSync(path.join(modulesDir, e.name, 'index.ts')))
    .map((e) => {
      const file = path.join('modules', e.name, 'index.ts');
      const source = fs.readFileSync(path.join(root, file), 'utf8');
      const lists = [...source.matchAll(/\bdependsOn:\s*\[([^\]]*)\]/g)];
      if (/\bdependsOn\b/.test(source) && lists.length !== 1) throw new Error(`${file}: write dependsOn once, as a list of module names in quotes`);
      const items = lists.length
        ? lists[0][1]
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean)
        : [];
      const dependsOn = items.map((item) => {
        const name = /^'([a-z0-9-]+)'$/.exec(item)?.[1];
        if (!name) throw new Error(`${file}: dependsOn must list module names in quotes, not ${item}`);
        return name;
      });
      return { name: e.name, dependsOn: [...dependsOn].sort() };
    })
    .sort((a, b) => (a.name < b.name ? -1 : 1));
}

const escapeName = (name) => name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A module's tests: its *.test.ts files and the *.suite.ts files that test/ runs. */
const TEST_FILES = '\\.(test|suite)\\.ts$';

const serverImportsNoModule = {
  name: 'server-imports-a-module',
  comment: 'server/ is the composition root: it loads modules by their declarations (server/module.ts) and imports none of them.',
  severity: 'error',
  from: { path: '^server/' },
  to: { path: '^modules/' },
};

const onlyThroughApi = {
  name: 'import-into-module-internals',
  comment: "A module (its tests too) imports another module only through that module's public surface, modules/<name>/api.ts.",
  severity: 'error',
  from: { path: '^modules/([^/]+)/' },
  to: { path: '^modules/[^/]+/', pathNot: ['^modules/$1/', '^modules/[^/]+/api\\.ts$'] },
};

/**
 * The product's code: every rule. A module's tests are left out of this pass
 * (see testOptions): a test may use any module's api to set up or check what a
 * user would see (a framework test checks the certificates it leads to), and
 * such arrows are not dependencies of the product.
 */
function forbiddenRules(modules) {
  return [
    serverImportsNoModule,
    onlyThroughApi,
    // One rule per module: the only other modules it may import are those its index.ts lists in dependsOn.
    ...modules.map((m) => ({
      name: 'import-not-in-dependsOn',
      comment: `modules/${m.name}/index.ts declares dependsOn: [${m.dependsOn.join(', ')}]`,
      severity: 'error',
      from: { path: `^modules/${escapeName(m.name)}/` },
      to: { path: '^modules/[^/]+/', pathNot: `^modules/(${[m.name, ...m.dependsOn].map(escapeName).join('|')})/` },
    })),
    {
      name: 'cycle-between-modules',
      comment: 'Modules depend on each other in one direction only: with each module folder taken as one node, no import reaches back.',
      severity: 'error',
      scope: 'folder',
      from: { path: '^modules/[^/]+$' },
      to: { path: '^modules/[^/]+$', circular: true },
    },
  ];
}

/**
 * Options for dependency-cruiser: TypeScript read with swc (dependency-cruiser
 * cannot use TypeScript 7's compiler), type-only imports counted like any
 * other. test/ and scripts/ are not modules: they may reach any module's
 * files, and are left out.
 */
const cruiseOptions = {
  parser: 'swc',
  doNotFollow: { path: ['node_modules'] },
  exclude: { path: ['node_modules', '^test/', '^scripts/', '/public/', TEST_FILES] },
  enhancedResolveOptions: { extensions: ['.ts', '.js', '.json'] },
};

/** The second pass, over the modules' tests alone: they too reach other modules only through api.ts. */
const testRules = [{ ...onlyThroughApi, from: { path: `^modules/([^/]+)/.*${TEST_FILES}` } }];
const testOptions = {
  ...cruiseOptions,
  exclude: { path: ['node_modules', '^test/', '^scripts/', '/public/'] },
  includeOnly: { path: '^modules/' },
};

module.exports = { cruiseOptions, declaredModules, forbiddenRules, ROOT, testOptions, testRules };
