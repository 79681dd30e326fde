// Compiles the server, its modules and the CLI to JavaScript in dist/, and
// copies beside them the files they read at run time (views, SQL migrations,
// public files), so `node dist/server/main.js` needs nothing but dist/ and
// node_modules. Plain JavaScript, so that it runs before anything is built.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const DIST = path.join(ROOT, 'dist');
/** Written last: a build without it was interrupted and counts as missing. */
const STAMP = path.join(DIST, '.build-complete');

/** Source folders whose non-TypeScript files the server reads at run time. */
function assetDirs() {
  const dirs = ['views', 'public', 'server/migrations'];
  for (const name of fs.readdirSync(path.join(ROOT, 'modules')).sort()) {
    for (const sub of ['views', 'migrations', 'public']) {
      if (fs.existsSync(path.join(ROOT, 'modules', name, sub))) dirs.push(`modules/${name}/${sub}`);
    }
  }
  return dirs;
}

function typescriptCompiler() {
  try {
    return path.join(path.dirname(require.resolve('typescript/package.json')), 'bin', 'tsc');
  } catch {
    return undefined;
  }
}

function build() {
  const tsc = typescriptCompiler();
  if (!tsc) throw new Error('TypeScript is not installed: run `npm ci` (with the development dependencies) before `npm run build`.');
  fs.rmSync(DIST, { recursive: true, force: true });
  // Compiler messages go to stderr: a CLI command that builds first keeps stdout for its own output.
  const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: ['ignore', process.stderr, process.stderr] });
  if (result.status !== 0) throw new Error('The TypeScript build failed (messages above).');
  for (const dir of assetDirs()) fs.cpSync(path.join(ROOT, dir), path.join(DIST, dir), { recursive: true });
  // The e-learning modules the product ships, zipped from their sources (scorm-packages/README.md).
  require(path.join(DIST, 'modules/scorm/package-zip.js')).zipShippedPackages(path.join(ROOT, 'scorm-packages'), path.join(DIST, 'scorm-packages'));
  // The embedded database's template (server/db/template.ts): without it the build still works, only a first start is slower.
  spawnSync(process.execPath, [path.join(DIST, 'server/db/template.js')], { cwd: ROOT, stdio: ['ignore', process.stderr, process.stderr] });
  fs.writeFileSync(STAMP, `${new Date().toISOString()}\n`);
}

const SOURCES = ['server', 'modules', 'views', 'public', 'scorm-packages', 'scripts/cli.ts', 'tsconfig.json', 'tsconfig.build.json', 'scripts/build.js'];
const NOT_BUILT = /\.(test|suite)\.ts$/;

function newestSource(file) {
  const stat = fs.statSync(file, { throwIfNoEntry: false });
  if (!stat) return 0;
  if (!stat.isDirectory()) return NOT_BUILT.test(file) ? 0 : stat.mtimeMs;
  let newest = 0;
  for (const entry of fs.readdirSync(file)) newest = Math.max(newest, newestSource(path.join(file, entry)));
  return newest;
}

/** Why the build must be made again, or undefined when it is up to date. */
function staleness() {
  const stamp = fs.statSync(STAMP, { throwIfNoEntry: false });
  if (!stamp) return 'there is no build yet';
  // A deployment may ship dist/ without the sources: then there is nothing to compare.
  if (!fs.existsSync(path.join(ROOT, 'server'))) return undefined;
  const newest = Math.max(...SOURCES.map((s) => newestSource(path.join(ROOT, s))));
  return newest > stamp.mtimeMs ? 'the sources changed since the last build' : undefined;
}

/** Builds when the build is missing or older than the sources (what `npm start` and `npm run cli` do first). */
function ensureBuilt() {
  const why = staleness();
  if (!why) return;
  if (!typescriptCompiler()) {
    if (fs.existsSync(STAMP)) {
      console.error(`Not rebuilding although ${why}: TypeScript is not installed here. Running the existing build.`);
      return;
    }
    throw new Error('There is no build, and TypeScript is not installed to make one: run `npm ci && npm run build`.');
  }
  console.error(`Building (${why})...`);
  build();
}

module.exports = { build, ensureBuilt, DIST };

if (require.main === module) {
  try {
    build();
  } catch (err) {
    console.error(err.message);
    process.exit(1);
  }
}
