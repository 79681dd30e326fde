// A start-up smoke test of the build, for CI on another Node.js version (and
// any deployment): starts `dist/server/main.js` with the Node.js running this
// script, on a new embedded database with the demo data, waits for /health,
// fetches the sign-in page and a stylesheet, stops it with SIGTERM and checks
// it exits cleanly. Prints one line; exits non-zero on any failure.
//   node scripts/smoke-start.js   (after npm run build)
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smoke-start-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [path.join(ROOT, 'dist/server/main.js')], {
    cwd: ROOT,
    env: {
      ...process.env,
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      HOST: '127.0.0.1',
      PORT: String(port),
      DATA_DIR: path.join(dir, 'data'),
      SCORM_DIR: path.join(dir, 'scorm'),
      DATABASE_URL: '',
      DEMO_DATA: 'true',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    const deadline = Date.now() + 300_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}: ${stderr}`);
      if (Date.now() > deadline) throw new Error('/health did not answer within 300 s');
      const ok = await fetch(`${base}/health`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ok) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    for (const page of ['/sign-in', '/assets/govuk-frontend.min.css', '/public/app.css']) {
      const res = await fetch(base + page);
      if (res.status !== 200) throw new Error(`${page} answered ${res.status}`);
    }
    child.kill('SIGTERM');
    const code = await exited;
    if (code !== 0) throw new Error(`the server exited with ${code} on SIGTERM: ${stderr}`);
    console.log(`smoke: the build started, served pages and stopped cleanly on Node.js ${process.version}`);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(`smoke: FAILED on Node.js ${process.version}: ${err.message}`);
  process.exit(1);
});
