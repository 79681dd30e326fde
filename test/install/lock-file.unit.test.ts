import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';

/**
 * `npm ci` refuses a lock file that disagrees with package.json, or that lacks
 * a package some other package needs (an optional build for another platform
 * is enough: "Missing: @biomejs/cli-android-arm64 from lock file"). Every
 * container build and most deployment pipelines use `npm ci`, so these are
 * checked here, without the network, the way npm checks them.
 */
const ROOT = path.resolve(__dirname, '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8'));

interface LockEntry {
  version?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  hasInstallScript?: boolean;
  link?: boolean;
}
const packages = lock.packages as Record<string, LockEntry>;

/** Where npm finds `name` for the package installed at `from`: its own node_modules, then each folder above. */
function resolve(from: string, name: string): string | undefined {
  let dir = from;
  for (;;) {
    const candidate = dir ? `${dir}/node_modules/${name}` : `node_modules/${name}`;
    if (packages[candidate]) return candidate;
    if (!dir) return undefined;
    const up = dir.lastIndexOf('/node_modules/');
    dir = up === -1 ? '' : dir.slice(0, up);
  }
}

describe('package-lock.json', () => {
  it('records the same dependencies and engines as package.json', () => {
    const root = packages[''] as LockEntry & { devDependencies?: Record<string, string>; engines?: Record<string, string> };
    expect(root.dependencies ?? {}, 'dependencies').to.deep.equal(pkg.dependencies ?? {});
    expect(root.devDependencies ?? {}, 'devDependencies').to.deep.equal(pkg.devDependencies ?? {});
    expect(root.optionalDependencies ?? {}, 'optionalDependencies').to.deep.equal(pkg.optionalDependencies ?? {});
    expect(root.engines ?? {}, 'engines').to.deep.equal(pkg.engines ?? {});
  });

  it('holds every package another one needs, optional platform builds included', () => {
    const missing: string[] = [];
    for (const [where, entry] of Object.entries(packages)) {
      if (entry.link) continue;
      for (const name of Object.keys({ ...entry.dependencies, ...entry.optionalDependencies })) {
        if (!resolve(where, name)) missing.push(`${name} (needed by ${where || 'package.json'})`);
      }
    }
    expect(missing, 'missing from the lock file').to.deep.equal([]);
  });

  it('has the Linux, macOS and Windows builds of the native tools', () => {
    for (const family of ['node_modules/@biomejs/cli-', 'node_modules/@esbuild/']) {
      for (const os of ['linux-x64', 'darwin-arm64', 'darwin-x64', 'win32-x64']) {
        expect(packages, `${family}${os}`).to.have.property(`${family}${os}`);
      }
    }
  });

  it('has an allowScripts decision, with its reason, for every package with an install script', () => {
    const withScripts = new Set(
      Object.entries(packages)
        .filter(([, entry]) => entry.hasInstallScript)
        .map(([where]) => where.slice(where.lastIndexOf('node_modules/') + 'node_modules/'.length)),
    );
    expect(withScripts.size).to.be.greaterThan(0);
    const decided = (name: string) => Object.keys(pkg.allowScripts ?? {}).some((key) => key === name || key.startsWith(`${name}@`));
    for (const name of withScripts) {
      expect(decided(name), `allowScripts has no decision for ${name}`).to.equal(true);
      expect(pkg['//allowScripts']?.[name], `"//allowScripts" gives no reason for ${name}`).to.be.a('string');
    }
  });
});
