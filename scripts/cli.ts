import '../server/compile-cache';
import { isRole, type Role } from '../server/access';
import { passwordProblem } from '../server/auth/passwords';
import {
  createApiToken,
  createUser,
  findUserByEmail,
  grantRole,
  listApiTokens,
  revokeApiTokens,
  TOKEN_DEFAULT_DAYS,
  TOKEN_MAX_DAYS,
} from '../server/auth/users';
import { readFlags, required } from '../server/cli-args';
import { type ConfigError, loadConfig } from '../server/config';
import { seedDemoPartnership } from '../server/demo';
import { UsageError } from '../server/errors';
import { createLogger } from '../server/logger';
import { type CliCommand, loadModules, type ModuleContext } from '../server/module';
import { usePrivateUmask } from '../server/private-files';
import { type Prepared, prepare } from '../server/runtime';

type CoreCommand = { summary: string; usage: string; run(prepared: Prepared, args: string[]): Promise<void> };

const CORE_COMMANDS: Record<string, CoreCommand> = {
  'demo:seed': {
    summary: 'Load the demo partnership (adds what is missing, changes nothing else)',
    usage: 'npm run cli -- demo:seed',
    async run(prepared) {
      const logins = await seedDemoPartnership(prepared);
      console.log('Demo partnership loaded. Sign in as:');
      for (const l of logins) console.log(`  ${l.role.padEnd(20)} ${l.email.padEnd(32)} password: ${l.password}`);
    },
  },
  'user:create': {
    summary: 'Create a user with a password and a role',
    usage: 'npm run cli -- user:create --email E --password P --role R [--org SLUG] [--name NAME]',
    async run({ database }, args) {
      const usage = CORE_COMMANDS['user:create'].usage;
      const { values: flags } = readFlags(
        args,
        { email: { type: 'string' }, password: { type: 'string' }, role: { type: 'string' }, org: { type: 'string' }, name: { type: 'string' } },
        usage,
      );
      const email = required(flags.email, 'email', usage);
      const password = required(flags.password, 'password', usage);
      const role = required(flags.role, 'role', usage);
      if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) throw new UsageError(`"${email}" is not an email address.`);
      if (!isRole(role)) throw new UsageError(`Unknown role "${role}". Roles: learner, trainer, org-lead, partnership-admin, board-member.`);
      const problem = passwordProblem(password, email);
      if (problem) throw new UsageError(problem);
      let organisationId: string | null = null;
      if (flags.org) {
        const { rows } = await database.pool.query<{ id: string }>('select id from organisations where slug = $1', [flags.org]);
        if (!rows[0]) throw new UsageError(`No organisation with the slug "${flags.org}".`);
        organisationId = rows[0].id;
      } else if (role === 'org-lead') {
        throw new UsageError('An org-lead needs --org SLUG: the organisation they lead.');
      }
      if (await findUserByEmail(database.pool, email)) throw new UsageError(`A user with the email ${email} already exists.`);
      const name = flags.name || email.split('@')[0];
      const id = await database.transaction(async (client) => {
        const userId = await createUser(client, { email, name, password, roles: [] });
        await grantRole(client, userId, { role: role as Role, organisationId }, null);
        return userId;
      });
      console.log(`Created ${role} ${email} (${id}).`);
    },
  },
  'token:create': {
    summary: 'Print a new API bearer token for a user (the token alone, on stdout)',
    usage: `npm run cli -- token:create --email E [--scope read|full] [--days N] [--label TEXT]`,
    async run({ database }, args) {
      const usage = CORE_COMMANDS['token:create'].usage;
      const { values: flags } = readFlags(
        args,
        { email: { type: 'string' }, scope: { type: 'string' }, days: { type: 'string' }, label: { type: 'string' } },
        usage,
      );
      const email = required(flags.email, 'email', usage);
      const scope = flags.scope ?? 'full';
      if (scope !== 'read' && scope !== 'full') throw new UsageError(`--scope is "read" (read-only reporting) or "full".\nUsage: ${usage}`);
      const days = flags.days === undefined ? TOKEN_DEFAULT_DAYS : Number(flags.days);
      if (!Number.isInteger(days) || days < 1 || days > TOKEN_MAX_DAYS)
        throw new UsageError(`--days is a whole number of days from 1 to ${TOKEN_MAX_DAYS}.\nUsage: ${usage}`);
      const user = await findUserByEmail(database.pool, email);
      if (!user) throw new UsageError(`No user with the email ${email}.`);
      const label = flags.label ? flags.label.slice(0, 100) : 'cli';
      process.stdout.write(`${await createApiToken(database.pool, user.id, { label, scope, days })}\n`);
    },
  },
  'token:list': {
    summary: "List a user's API tokens (never the tokens themselves)",
    usage: 'npm run cli -- token:list --email E',
    async run({ database }, args) {
      const usage = CORE_COMMANDS['token:list'].usage;
      const { values: flags } = readFlags(args, { email: { type: 'string' } }, usage);
      const email = required(flags.email, 'email', usage);
      const user = await findUserByEmail(database.pool, email);
      if (!user) throw new UsageError(`No user with the email ${email}.`);
      const tokens = await listApiTokens(database.pool, user.id);
      if (!tokens.length) console.log(`${email} has no API tokens.`);
      for (const t of tokens) {
        const state = t.active
          ? `works until ${t.expiresAt.toISOString()}`
          : t.revokedAt
            ? `revoked${t.revokedReason ? ` (${t.revokedReason})` : ''}`
            : 'expired';
        console.log(`${t.id}  ${t.scope.padEnd(4)}  ${t.label}  ${state}`);
      }
    },
  },
  'token:revoke': {
    summary: 'Revoke one API token (--id) or every token of a user (--email)',
    usage: 'npm run cli -- token:revoke --id TOKEN_ID | --email E',
    async run({ database }, args) {
      const usage = CORE_COMMANDS['token:revoke'].usage;
      const { values: flags } = readFlags(args, { id: { type: 'string' }, email: { type: 'string' } }, usage);
      if (flags.id) {
        if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(flags.id))
          throw new UsageError(`"${flags.id}" is not a token id (token:list shows them).\nUsage: ${usage}`);
        const { rows } = await database.pool.query<{ user_id: string }>('select user_id from api_tokens where id = $1', [flags.id]);
        if (!rows[0]) throw new UsageError(`No API token with the id ${flags.id}.`);
        const n = await revokeApiTokens(database.pool, rows[0].user_id, 'by an operator', flags.id);
        console.log(n ? `Revoked token ${flags.id}.` : `Token ${flags.id} had already stopped working.`);
        return;
      }
      const email = required(flags.email, 'email', usage);
      const user = await findUserByEmail(database.pool, email);
      if (!user) throw new UsageError(`No user with the email ${email}.`);
      const n = await revokeApiTokens(database.pool, user.id, 'by an operator');
      console.log(`Revoked ${n} API token(s) of ${email}.`);
    },
  },
};

function printHelp(moduleCommands: Map<string, { command: CliCommand }>): void {
  console.log('Usage: npm run cli -- <command> [options]\n\nCommands:');
  for (const [name, c] of Object.entries(CORE_COMMANDS)) console.log(`  ${name.padEnd(18)} ${c.summary}`);
  for (const [name, { command }] of moduleCommands) console.log(`  ${name.padEnd(18)} ${command.summary}`);
}

export async function runCli(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig({ LOG_LEVEL: 'warn', ...process.env, JOBS: 'false' });
  } catch (err) {
    console.error((err as ConfigError).message);
    return 78;
  }
  // Module commands are known only after loading modules; loading is cheap, the database is not.
  const modules = loadModules();
  const moduleCommands = new Map<string, { command: CliCommand; module: (typeof modules)[number] }>();
  for (const mod of modules) for (const [cmd, command] of Object.entries(mod.definition.cli ?? {})) moduleCommands.set(cmd, { command, module: mod });

  if (!name || name === 'help' || name === '--help') {
    printHelp(moduleCommands);
    return name ? 0 : 2;
  }
  const core = CORE_COMMANDS[name];
  const fromModule = moduleCommands.get(name);
  if (!core && !fromModule) {
    console.error(`Unknown command "${name}". Run "npm run cli -- help" to list the commands.`);
    return 2;
  }
  const logger = createLogger({ env: config.env, logLevel: config.logLevel });
  let prepared: Prepared | undefined;
  try {
    // borrowIfBusy: when the server has the embedded database open, go through it.
    prepared = await prepare(config, { logger, role: 'cli', borrowIfBusy: true });
    if (core) await core.run(prepared, args);
    else {
      const ctx: ModuleContext = prepared.contextFor(fromModule!.module);
      await fromModule!.command.run(ctx, args);
    }
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      console.error((err as Error).message);
      return 2;
    }
    console.error(`${name} failed: ${(err as Error).message}`);
    return 1;
  } finally {
    await prepared?.database.close();
  }
}

if (require.main === module) {
  // Backups, exports and an embedded database this command opens are this user's alone.
  usePrivateUmask();
  runCli(process.argv.slice(2)).then((code) => process.exit(code));
}
