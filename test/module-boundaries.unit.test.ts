/**
 * The modules' boundary rules (scripts/module-rules.js, run by npm run
 * depcheck) catch what they are for: each break is written into a small tree
 * of modules made for the test, and dependency-cruiser must report it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { loadModules } from '../server/module';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const rules = require('../scripts/module-rules') as {
  cruiseOptions: Record<string, unknown>;
  declaredModules(root?: string): { name: string; dependsOn: string[] }[];
  forbiddenRules(modules: { name: string; dependsOn: string[] }[]): unknown[];
  testOptions: Record<string, unknown>;
  testRules: unknown[];
};

interface Violation {
  from: string;
  to: string;
  rule: { name: string };
  cycle?: { name: string }[];
}

function writeTree(root: string, files: Record<string, string>) {
  for (const [file, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), text);
  }
}

const declare = (name: string, dependsOn: string[]) =>
  `import { defineModule } from '../../server/module';\nexport default defineModule({\n  name: '${name}',\n  dependsOn: [${dependsOn.map((d) => `'${d}'`).join(', ')}],\n});\n`;

async function violations(root: string, options: Record<string, unknown>, forbidden: unknown[], targets: string[]): Promise<Violation[]> {
  const { cruise } = await import('dependency-cruiser');
  const cwd = process.cwd();
  // dependency-cruiser reads the paths it is given, and names files, relative to the working directory.
  process.chdir(root);
  try {
    const result = await cruise(
      targets,
      { ...options, baseDir: root, validate: true, ruleSet: { forbidden } } as never,
      { extensions: ['.ts', '.js'] } as never,
    );
    const output = result.output as { summary: { violations: Violation[] } };
    return output.summary.violations;
  } finally {
    process.chdir(cwd);
  }
}

describe('module boundaries (npm run depcheck)', function () {
  this.timeout(60000);
  let root: string;

  before(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'module-rules-'));
    writeTree(root, {
      'server/module.ts': 'export function defineModule<T>(m: T): T { return m; }\n',
      'server/app.ts': "import { helper } from '../modules/shop/api';\nexport const app = helper;\n",
      // shop depends on stock, and on nothing else.
      'modules/shop/index.ts': declare('shop', ['stock']),
      'modules/shop/api.ts': "export { helper } from './helper';\n",
      'modules/shop/helper.ts': 'export const helper = 1;\n',
      // An import into stock's internals instead of its api.
      'modules/shop/basket.ts': "import { count } from '../stock/store';\nexport const basket = count;\n",
      // An import of a module shop does not declare.
      'modules/shop/till.ts': "import { rate } from '../tax/api';\nexport const till = rate;\n",
      // What a module's test may and may not import.
      'modules/shop/shop.test.ts': "import { count } from '../stock/store';\nimport { level } from '../stock/api';\nexport const seen = [count, level];\n",
      'modules/stock/index.ts': declare('stock', []),
      'modules/stock/api.ts': "export { level } from './store';\n",
      'modules/stock/store.ts': 'export const count = 1;\nexport const level = 2;\n',
      // tax and ledger declare each other, and import each other through their api: a cycle.
      'modules/tax/index.ts': declare('tax', ['ledger']),
      'modules/tax/api.ts': "export { rate } from './rate';\n",
      'modules/tax/rate.ts': "import { book } from '../ledger/api';\nexport const rate = book;\n",
      'modules/ledger/index.ts': declare('ledger', ['tax']),
      'modules/ledger/api.ts': "export { book } from './book';\n",
      'modules/ledger/book.ts': "import type { rate } from '../tax/api';\nexport const book = 3 as unknown as typeof rate;\n",
    });
  });

  after(() => fs.rmSync(root, { recursive: true, force: true }));

  it('reports an import into another module’s internals, an import dependsOn does not declare, a cycle between modules and server/ importing a module', async () => {
    const found = await violations(root, rules.cruiseOptions, rules.forbiddenRules(rules.declaredModules(root)), ['modules', 'server']);
    const seen = found.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`);
    expect(seen).to.include('import-into-module-internals: modules/shop/basket.ts → modules/stock/store.ts');
    expect(seen).to.include('import-not-in-dependsOn: modules/shop/till.ts → modules/tax/api.ts');
    expect(seen).to.include('server-imports-a-module: server/app.ts → modules/shop/api.ts');
    const cycles = found.filter((v) => v.rule.name === 'cycle-between-modules');
    // Each cycle is named by the modules on it (the fixture's server import makes more, through server/).
    expect(
      cycles.map((v) =>
        (v.cycle ?? [])
          .map((c) => c.name)
          .sort()
          .join(' and '),
      ),
    ).to.include('modules/ledger and modules/tax');
    // Declared imports through an api, within a module, and the module's tests, are not this pass's concern.
    expect(
      seen.filter((s) => s.includes('shop.test.ts') || s.includes('modules/shop/api.ts →') || s.includes('modules/tax/rate.ts → modules/ledger')),
    ).to.deep.equal([]);
  });

  it('reports a module’s test importing another module’s internals, and lets it use the other module’s api', async () => {
    const found = await violations(root, rules.testOptions, rules.testRules, ['modules']);
    const fromTest = found.filter((v) => v.from === 'modules/shop/shop.test.ts').map((v) => `${v.rule.name}: ${v.to}`);
    expect(fromTest).to.deep.equal(['import-into-module-internals: modules/stock/store.ts']);
  });

  it('reads every module’s dependsOn as the server loads it', () => {
    const loaded = loadModules().map((m) => ({ name: m.definition.name, dependsOn: [...(m.definition.dependsOn ?? [])].sort() }));
    expect(rules.declaredModules()).to.deep.equal(loaded.sort((a, b) => (a.name < b.name ? -1 : 1)));
  });
});
