import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import pg from 'pg';
import { TEST_POSTGRES_URL } from '../support/database';
import { freePort, ROOT } from '../support/process';
import { TestAgent } from '../support/server';
import { waitFor } from '../support/wait';

/**
 * The Dockerfile as an operator uses it: built, started, signed in to. Slow
 * (minutes), so it is not part of `npm test`; run it with `npm run test:container`.
 *
 * Base images cannot be pulled on the machines this is built on, so the base is
 * made here from Debian's packages with mmdebstrap (once; it is kept) and the
 * image is built on it with podman. Needs, as root: podman, runc and mmdebstrap
 * (`apt-get install podman runc mmdebstrap`), and the npm registry reachable.
 */

const RELEASE = /^VERSION_CODENAME=(\w+)/m.exec(fs.readFileSync('/etc/os-release', 'utf8'))?.[1] ?? 'bookworm';
const BASE_IMAGE = `localhost/lms-debian-base:${RELEASE}`;
const IMAGE = 'localhost/da-lms:test';
/** TEST ONLY stand-in for the official postgres image: test/container/postgres/Containerfile. */
const POSTGRES_IMAGE = 'localhost/lms-postgres-debian:test';
const DEMO_ADMIN = 'admin@vale-partnership.example';
const DEMO_PASSWORD = 'demo-learning-2026';

/**
 * Global options that let rootful podman run inside a VM without systemd and with
 * a hybrid cgroup layout (crun refuses that layout; runc accepts it). They are
 * harmless on an ordinary machine. PODMAN_OPTIONS replaces them.
 */
const PODMAN_OPTIONS = process.env.PODMAN_OPTIONS?.split(' ').filter(Boolean) ?? ['--cgroup-manager=cgroupfs', '--events-backend=file', '--runtime=runc'];
/**
 * podman's default limits for a container are above the hard limits a process
 * may raise itself to without CAP_SYS_RESOURCE, which sandboxes withhold.
 */
const LIMITS = ['--ulimit=nofile=16384:16384', '--ulimit=nproc=8192:8192'];

function podman(args: string[], timeoutMs = 120_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('podman', [...PODMAN_OPTIONS, ...args], { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

async function mustPodman(args: string[], timeoutMs?: number): Promise<string> {
  const r = await podman(args, timeoutMs);
  if (r.code !== 0) throw new Error(`podman ${args.join(' ')} failed (${r.code}):\n${r.stderr.slice(-3000)}`);
  return r.stdout.trim();
}

/** A shell pipeline, its output passed through for the long steps (base and image builds). */
function sh(script: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-euc', script], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      code === 0 ? resolve() : reject(new Error(`${script}\nexited with ${code}`));
    });
  });
}

/** A Debian base from Debian's mirror, shaped like debian:*-slim (no manuals, docs or locales). */
async function ensureBase(): Promise<void> {
  if ((await podman(['image', 'exists', BASE_IMAGE])).code === 0) return;
  const mirrors = [
    `deb http://deb.debian.org/debian ${RELEASE} main`,
    `deb http://deb.debian.org/debian ${RELEASE}-updates main`,
    `deb http://deb.debian.org/debian-security ${RELEASE}-security main`,
  ];
  const excludes = ['/usr/share/man/*', '/usr/share/doc/*', '/usr/share/info/*', '/usr/share/locale/*', '/usr/share/lintian/*'];
  const quoted = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  await sh(
    `mmdebstrap --variant=minbase ${excludes.map((e) => `--dpkgopt=${quoted(`path-exclude=${e}`)}`).join(' ')} --dpkgopt='path-include=/usr/share/doc/*/copyright' ${RELEASE} - ${mirrors.map(quoted).join(' ')} | podman ${PODMAN_OPTIONS.join(' ')} import - ${BASE_IMAGE}`,
    20 * 60_000,
  );
}

/** The host's extra CA bundle (a TLS-inspecting proxy's), handed to the build as a secret. */
function caSecret(): string[] {
  const bundle = process.env.NODE_EXTRA_CA_CERTS;
  return bundle && fs.existsSync(bundle) ? [`--secret=id=ca_certificates,src=${bundle}`] : [];
}

interface Started {
  name: string;
  url: string;
  /** From `podman run` to the first 200 from /health. */
  healthyAfterMs: number;
}

async function startContainer(name: string, runArgs: string[], port: number): Promise<Started> {
  const started = Date.now();
  await mustPodman(['run', '-d', '--name', name, ...LIMITS, ...runArgs, IMAGE]);
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    async () => {
      const state = await podman(['inspect', '--format', '{{.State.Status}}', name]);
      if (state.stdout.trim() === 'exited')
        throw new Error(`the container exited:\n${(await podman(['logs', name])).stderr}${(await podman(['logs', name])).stdout}`);
      return fetch(`${url}/health`).then(
        (r) => r.status === 200,
        () => false,
      );
    },
    `${name} to answer /health`,
    180_000,
  );
  return { name, url, healthyAfterMs: Date.now() - started };
}

async function removeContainer(name: string): Promise<void> {
  await podman(['rm', '--force', '--volumes', '--time', '0', name]); // --volumes: the anonymous /data volume too
}

/** Signs the demo administrator in as a browser would (CSRF token and cookies) and returns the landing page. */
async function signInAsDemoAdmin(url: string): Promise<string> {
  const agent = new TestAgent(url);
  await agent.signIn(DEMO_ADMIN, DEMO_PASSWORD);
  const home = await agent.get('/');
  expect(home.status).to.equal(200);
  return home.text;
}

function report(line: string): void {
  console.log(`      ${line}`);
}

describe('the container image (podman)', function () {
  this.timeout(40 * 60_000);
  const suffix = randomBytes(4).toString('hex');
  const volume = `lms-test-data-${suffix}`;
  const containers: string[] = [];

  before(async () => {
    const t0 = Date.now();
    await ensureBase();
    report(`base ${BASE_IMAGE} ready in ${Math.round((Date.now() - t0) / 1000)} s`);
    const t1 = Date.now();
    // Docker's image format: the OCI format has no HEALTHCHECK.
    await sh(
      [
        'podman',
        ...PODMAN_OPTIONS,
        'build',
        '--format=docker',
        '--network=host',
        ...LIMITS,
        ...caSecret(),
        `--build-arg=BASE_IMAGE=${BASE_IMAGE}`,
        `--tag=${IMAGE}`,
        '.',
      ].join(' '),
      40 * 60_000,
    );
    const size = Number(await mustPodman(['image', 'inspect', '--format', '{{.Size}}', IMAGE]));
    report(`image ${IMAGE} built in ${Math.round((Date.now() - t1) / 1000)} s; ${Math.round(size / 1e6)} MB`);
  });

  after(async () => {
    for (const name of containers) await removeContainer(name);
    await podman(['volume', 'rm', '-f', volume]);
  });

  describe('on the embedded database, in a volume', () => {
    const name = `lms-test-embedded-${suffix}`;
    let port: number;
    let running: Started;

    before(async () => {
      port = await freePort();
      containers.push(name);
      running = await startContainer(name, ['--publish', `127.0.0.1:${port}:3000`, '--volume', `${volume}:/data`], port);
      report(`first start with demo data: /health after ${running.healthyAfterMs} ms`);
    });

    it('runs the compiled server as an unprivileged user, on Node.js 24', async () => {
      const status = await mustPodman(['exec', name, 'cat', '/proc/1/status', '/proc/1/cmdline']);
      const uids = /^Uid:\s+(.*)$/m.exec(status)?.[1].split(/\s+/).map(Number);
      expect(uids, status).to.have.length(4);
      for (const uid of uids!) expect(uid).to.not.equal(0);
      expect(status).to.contain('dist/server/main.js');
      expect(await mustPodman(['exec', name, 'node', '--version'])).to.match(/^v24\./);
    });

    it('holds production dependencies only, and its data directory is private', async () => {
      const check = await podman([
        'exec',
        name,
        'node',
        '-e',
        "for (const m of ['typescript', 'tsx', 'mocha', '@biomejs/biome']) { try { require.resolve(m); console.log(m); } catch {} }",
      ]);
      expect(check.code, check.stderr).to.equal(0);
      expect(check.stdout.trim(), 'development packages in the image').to.equal('');
      const dataDir = await mustPodman(['exec', name, 'stat', '-c', '%a %U', '/data']);
      expect(dataDir).to.equal('700 lms');
    });

    it('signs the demo administrator in and shows their landing page', async () => {
      const home = await signInAsDemoAdmin(running.url);
      expect(home).to.match(/Signed in as/);
    });

    it('runs CLI commands inside the running container (README: podman exec)', async () => {
      const token = await mustPodman(['exec', name, 'node', 'dist/scripts/cli.js', 'token:create', '--email', DEMO_ADMIN, '--scope', 'read']);
      const res = await fetch(`${running.url}/api/v1/organisations`, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).to.equal(200);
    });

    it("passes the image's HEALTHCHECK", async () => {
      const r = await podman(['healthcheck', 'run', name]);
      expect(r.code, r.stderr + r.stdout).to.equal(0);
    });

    it('stops cleanly on SIGTERM, and starts again on its volume without loading the demo twice', async () => {
      const t0 = Date.now();
      await mustPodman(['stop', '--time', '15', name]);
      const stopMs = Date.now() - t0;
      expect(await mustPodman(['inspect', '--format', '{{.State.ExitCode}}', name])).to.equal('0');
      await removeContainer(name);
      const again = `${name}-again`;
      containers.push(again);
      const restarted = await startContainer(again, ['--publish', `127.0.0.1:${port}:3000`, '--volume', `${volume}:/data`], port);
      report(`stop: ${stopMs} ms; restart on the same volume: /health after ${restarted.healthyAfterMs} ms`);
      const logs = await podman(['logs', again]);
      expect(logs.stdout + logs.stderr).to.not.contain('Demo partnership loaded');
      expect(await signInAsDemoAdmin(restarted.url)).to.match(/Signed in as/);
    });
  });

  describe("on PostgreSQL, set up as compose.yaml sets it up (the machine's server)", () => {
    const name = `lms-test-postgres-${suffix}`;
    const database = `lms_container_${suffix}`;
    let admin: pg.Client | undefined;

    before(async function () {
      admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
      try {
        await admin.connect();
      } catch {
        admin = undefined;
        this.skip(); // no PostgreSQL on this machine
      }
      await admin.query(`create database ${database}`);
    });

    after(async () => {
      await removeContainer(name);
      if (admin) {
        await admin.query(`drop database if exists ${database} with (force)`).catch(() => {});
        await admin.end();
      }
    });

    it('migrates, loads the demo when asked, answers /health and signs in', async () => {
      const port = await freePort();
      const url = new URL(TEST_POSTGRES_URL);
      url.pathname = `/${database}`;
      containers.push(name);
      // The machine's PostgreSQL listens on loopback, so the container shares the host's network.
      const running = await startContainer(
        name,
        [
          '--network=host',
          '--env',
          `PORT=${port}`,
          '--env',
          'HOST=127.0.0.1',
          '--env',
          `DATABASE_URL=${url}`,
          '--env',
          `SESSION_SECRET=${randomBytes(32).toString('hex')}`,
          '--env',
          'DEMO_DATA=true',
        ],
        port,
      );
      report(`first start on PostgreSQL with demo data: /health after ${running.healthyAfterMs} ms`);
      expect(await signInAsDemoAdmin(running.url)).to.match(/Signed in as/);
      const { rows } = await admin!.query(`select count(*)::int as n from pg_stat_activity where datname = $1`, [database]);
      expect(rows[0].n, 'connections from the container').to.be.above(0);
    });
  });

  describe('compose.yaml, run by podman-compose, with PostgreSQL in its own container', () => {
    const project = `lms-compose-${suffix}`;
    const env: NodeJS.ProcessEnv = {};
    let url: string;
    let confDir: string | undefined;

    /** podman-compose with compose.yaml and the variables an operator's .env would hold. */
    function compose(args: string[], timeoutMs = 300_000): Promise<string> {
      return new Promise((resolve, reject) => {
        execFile(
          'podman-compose',
          ['-f', 'compose.yaml', '-p', project, ...args],
          { cwd: ROOT, env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 },
          (err, stdout, stderr) => {
            err ? reject(new Error(`podman-compose ${args.join(' ')} failed:\n${stderr.slice(-3000)}${stdout.slice(-3000)}`)) : resolve(stdout + stderr);
          },
        );
      });
    }

    /** podman-compose names containers <project>_<service>_1. */
    const container = (service: string) => `${project}_${service}_1`;

    /**
     * Both services' healthchecks, run by hand: with no systemd nothing runs them on a
     * timer. The app may restart a few times first, since podman-compose 1.0.3 starts it
     * without waiting for `condition: service_healthy`; its restart policy covers that.
     */
    async function bothHealthy(): Promise<number> {
      const t0 = Date.now();
      for (const service of ['db', 'app']) {
        await waitFor(async () => (await podman(['healthcheck', 'run', container(service)])).code === 0, `the ${service} service's healthcheck`, 300_000);
      }
      return Date.now() - t0;
    }

    before(async function () {
      if ((await new Promise<number>((resolve) => execFile('podman-compose', ['version'], (err) => resolve(err ? 1 : 0)))) !== 0) this.skip(); // apt-get install podman-compose
      const t0 = Date.now();
      await sh(
        [
          'podman',
          ...PODMAN_OPTIONS,
          'build',
          '--format=docker',
          '--network=host',
          ...LIMITS,
          `--build-arg=BASE_IMAGE=${BASE_IMAGE}`,
          `--tag=${POSTGRES_IMAGE}`,
          'test/container/postgres',
        ].join(' '),
        20 * 60_000,
      );
      report(`PostgreSQL stand-in ${POSTGRES_IMAGE} built in ${Math.round((Date.now() - t0) / 1000)} s`);
      // podman-compose passes no global options to podman: the sandbox's settings
      // (see PODMAN_OPTIONS and LIMITS) go in a containers.conf of their own.
      let conf = process.env.CONTAINERS_CONF;
      if (!conf) {
        confDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lms-compose-'));
        conf = path.join(confDir, 'containers.conf');
        fs.writeFileSync(
          conf,
          '[containers]\ndefault_ulimits = ["nofile=16384:16384", "nproc=8192:8192"]\n[engine]\nruntime = "runc"\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n',
        );
      }
      const port = await freePort();
      url = `http://127.0.0.1:${port}`;
      Object.assign(env, {
        PATH: process.env.PATH,
        CONTAINERS_CONF: conf,
        LMS_IMAGE: IMAGE,
        POSTGRES_IMAGE,
        HTTP_PORT: String(port),
        POSTGRES_PASSWORD: randomBytes(24).toString('hex'),
        SESSION_SECRET: randomBytes(32).toString('hex'),
        PUBLIC_URL: `http://localhost:${port}`,
        DEMO_DATA: 'true',
      });
    });

    after(async () => {
      if (env.CONTAINERS_CONF) await compose(['down', '-v'], 120_000).catch(() => {});
      await podman(['network', 'rm', '-f', `${project}_default`]); // podman-compose 1.0.3's down leaves it
      if (confDir) fs.rmSync(confDir, { recursive: true, force: true });
    });

    it('comes up, both healthchecks pass, /health answers on the published port and the demo administrator signs in', async () => {
      const t0 = Date.now();
      await compose(['up', '-d', '--no-build']);
      const healthyMs = await bothHealthy();
      report(`compose up to both healthchecks passing: ${Date.now() - t0} ms (the healthchecks' wait ${healthyMs} ms)`);
      expect((await fetch(`${url}/health`)).status).to.equal(200);
      expect(await signInAsDemoAdmin(url)).to.match(/Signed in as/);
      const { stdout } = await podman([
        'exec',
        container('db'),
        'psql',
        '-U',
        'lms',
        '-d',
        'lms',
        '-Atc',
        "select count(*) from information_schema.tables where table_schema = 'public'",
      ]);
      expect(Number(stdout.trim()), 'tables in the db service').to.be.above(0);
    });

    it('keeps the data in its volumes across down and up, and down -v removes them', async () => {
      await mustPodman(['exec', container('app'), 'sh', '-c', 'echo kept > /data/compose-test-marker']);
      const t0 = Date.now();
      await compose(['down']);
      const downMs = Date.now() - t0;
      const t1 = Date.now();
      await compose(['up', '-d', '--no-build']);
      await bothHealthy();
      report(`compose down: ${downMs} ms; up again to both healthchecks passing: ${Date.now() - t1} ms`);
      const logs = await podman(['logs', container('app')]);
      expect(logs.stdout + logs.stderr, 'the demo loaded a second time').to.not.contain('Demo partnership loaded');
      expect(await signInAsDemoAdmin(url)).to.match(/Signed in as/);
      expect(await mustPodman(['exec', container('app'), 'cat', '/data/compose-test-marker'])).to.equal('kept');

      await compose(['down', '-v']);
      const volumes = await mustPodman(['volume', 'ls', '--format', '{{.Name}}']);
      for (const kind of ['db-data', 'app-data']) expect(volumes.split('\n')).to.not.include(`${project}_${kind}`);
    });
  });
});
