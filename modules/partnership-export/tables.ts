import type { Pool, PoolClient } from 'pg';
import { ident, listTables } from '../../server/db/tables';

/**
 * Tables that hold nothing a partnership would take with it: sign-in sessions,
 * single-use tokens that expire within hours, registrations never confirmed,
 * failed sign-ins counted for a quarter of an hour, SAML requests in flight and
 * the SAML sessions those sign-ins opened, the
 * job queue and the migration ledger (the receiving product keeps its own);
 * and compliance results kept between requests, which are worked out again
 * from the rest (their stamps only mean something in the database that made them),
 * with the progress of working them out after a bulk load.
 */
// saml_sp_keys holds this service's private SAML keys: an export is for reading and moving the
// partnership's data, and a new installation makes its own keys (the IdPs then read its new metadata).
// credential_keys likewise holds the private key that signs Open Badges credentials: anyone holding it could
// forge certificates. A move that must keep credentials already handed out verifiable goes by backup and restore.
const NOT_EXPORTED = new Set([
  'saml_sp_keys',
  'credential_keys',
  'schema_migrations',
  'sessions',
  'password_reset_tokens',
  'registration_requests',
  'sign_in_failures',
  'saml_request_cache',
  'saml_sessions',
  'kept_compliance',
  'kept_compliance_days',
  'kept_compliance_day_marks',
  'kept_compliance_tallies',
  'kept_compliance_marks',
  'compliance_working_out',
]);
const NOT_EXPORTED_PREFIXES = ['agenda', 'pgboss', 'job'];

/** What each entity is, in the users' words, for the export's README. */
export const ENTITY_NOTES: Record<string, string> = {
  partnership: "The partnership's name, area, support links and certificate logo.",
  quick_exit: 'Where the quick exit takes a learner: an ordinary site that says nothing about abuse.',
  leaver_retention: 'How many months leavers’ personal details are kept after they leave (empty: the LEAVER_RETENTION_MONTHS setting, else 6 years).',
  organisations: 'Member organisations: councils, NHS trusts, police, charities ... and their refresher settings.',
  organisation_licences: 'Which organisations may use which licensed e-learning.',
  users: 'Everyone who can sign in. password_hash is an argon2 hash (never the password); keep this file safe.',
  user_roles: 'Who holds which role, and for which organisation.',
  api_tokens: 'API bearer tokens (stored hashed).',
  audit_log: 'Who did what and when.',
  frameworks: 'Learning Development Framework versions (draft, published, retired).',
  staff_groups: 'The framework’s staff groups.',
  competencies: 'Numbered competencies of each staff group. lineage links the same competency across framework versions.',
  evidence_examples: 'Examples of evidence the framework gives for each group.',
  learning_opportunities: 'Ways to learn the framework gives for each group.',
  job_role_mappings: 'Job titles mapped to staff groups (partnership-wide or for one organisation).',
  staff: 'Staff and volunteers of each organisation, with their current staff group.',
  staff_group_history: 'Every change of a person’s staff group.',
  staff_import_batches: 'Staff list imports and their previews.',
  invitations: 'Invitations to create an account.',
  courses: 'E-learning and face-to-face courses.',
  course_competencies: 'Which competencies a course gives evidence for.',
  course_prerequisites: 'Courses that must be finished first.',
  evidence: 'Competency evidence. Corrections and withdrawals are new rows naming the row they replace (replaces_id).',
  evidence_documents: 'Documents uploaded as evidence of external training (content is the file, hex encoded).',
  certificates: 'Certificates issued, with their verification codes, revocations and reissues.',
  credential_status_entries:
    'Each certificate’s place in the published revocation lists of its Open Badges credential (certificate_id empty once the certificate was deleted: the place stays revoked).',
  training_sessions: 'Face-to-face training sessions.',
  training_session_organisations: 'Which organisations a session is open to.',
  session_bookings: 'Bookings and attendance for face-to-face sessions.',
  scorm_packages: 'SCORM packages imported as courses (the content files themselves are in SCORM_DIR, not in this export).',
  scorm_package_versions: 'Versions of each SCORM package.',
  scorm_attempts: 'E-learning attempts: status, score, time.',
  scorm_sco_states: 'The saved state of each part of an e-learning attempt (so a learner resumes where they were).',
  cmi5_packages: 'cmi5 courses imported, by the course id of their cmi5.xml (the content files themselves are in SCORM_DIR, not in this export).',
  cmi5_package_versions: 'Versions of each cmi5 course, with the course structure read from its cmi5.xml.',
  cmi5_registrations: 'Learners’ enrolments in cmi5 courses (the xAPI registration): status, score, when the course was satisfied.',
  cmi5_au_states: 'What each part (AU) of a cmi5 course recorded in a registration: completed, passed, failed, progress.',
  cmi5_sessions: 'Each launch of a cmi5 AU and how it ended (terminated or abandoned); tokens are kept only as hashes.',
  cmi5_statements: 'Every xAPI statement of cmi5 courses: the AUs’ and those the service issued (launched, abandoned, satisfied).',
  cmi5_documents: 'xAPI state and profile documents cmi5 AUs saved (so a learner resumes where they were).',
  reminder_defaults: 'The partnership’s default reminder policy.',
  reminders: 'Reminders sent, one per person, requirement, due date and step.',
  reminder_scan_runs: 'When each organisation’s reminder scan last ran, and which of the reminders then due were already queued.',
  reminder_digest_unsubscribes: 'Leads who stopped a digest email.',
  outbound_messages: 'Emails queued and sent.',
  saml_identity_providers: 'Each organisation’s single sign-on settings.',
  saml_used_assertions: 'SAML assertions already used (so none is accepted twice).',
  sso_identities: 'Which single sign-on identity (identity provider and NameID or stable id) belongs to which account.',
  saml_last_responses:
    'The last response each organisation’s identity provider sent (NameID and attributes, never signatures), for checking the attribute names.',
  passport_transfers: 'Training passport: sharing a person’s training record with a new organisation, and their consent.',
};

/**
 * Tables that, when they have rows, mean the database already holds a
 * partnership: an import never merges into one. (The framework, job-title
 * mappings and reminder defaults are loaded on every first start, so they
 * do not count; the import replaces them.)
 */
export const PEOPLE_TABLES = ['partnership', 'organisations', 'users', 'staff', 'courses'];

export interface Column {
  name: string;
  type: string;
  nullable: boolean;
}

export interface TableInfo {
  name: string;
  columns: Column[];
  primaryKey: string[];
  /** Single columns pointing at another row of the same table (a correction naming the entry it replaces): rows load in that order. */
  selfReferences: { column: string; target: string }[];
  /** Columns that point at a table loaded later (only round a circle of tables): filled in after every row is in. */
  lateColumns: string[];
  /** Serial columns whose sequence must continue after the largest imported value. */
  serialColumns: string[];
}

type Queryable = Pool | PoolClient;

function excluded(name: string): boolean {
  return NOT_EXPORTED.has(name) || NOT_EXPORTED_PREFIXES.some((p) => name.startsWith(p));
}

/**
 * Every table of the partnership, in an order where each table comes after
 * the tables it refers to. Read from the database itself, so a table a new
 * module adds is exported without changes here.
 */
export async function partnershipTables(db: Queryable): Promise<TableInfo[]> {
  const listed = (await listTables(db)).filter((t) => !excluded(t.name));
  const names = listed.map((t) => t.name);
  const info = new Map<string, TableInfo>();
  for (const t of listed) {
    info.set(t.name, {
      name: t.name,
      columns: t.columns.map((c) => ({ name: c.name, type: c.type, nullable: c.nullable })),
      primaryKey: t.primaryKey,
      selfReferences: [],
      lateColumns: [],
      serialColumns: t.columns.filter((c) => c.serial).map((c) => c.name),
    });
  }
  // Order by references. Rows of a table that refers to itself load in the order
  // of those references; a reference round a circle of tables loads as null and
  // is filled in afterwards.
  const ordered: TableInfo[] = [];
  const remaining = new Set(names);
  const refs = listed.flatMap((t) => t.foreignKeys.map((f) => ({ table: t.name, ...f }))).filter((f) => info.has(f.target));
  while (remaining.size) {
    const ready = [...remaining].filter((t) => refs.every((f) => f.table !== t || f.target === t || !remaining.has(f.target)));
    const next = ready.length ? ready : [[...remaining].sort()[0]];
    for (const t of next) {
      const table = info.get(t)!;
      const self = refs.filter((f) => f.table === t && f.target === t);
      const orderable = self.filter((f) => f.columns.length === 1);
      table.selfReferences = orderable.map((f) => ({ column: f.columns[0], target: f.targetColumns[0] }));
      const late = refs
        .filter((f) => f.table === t && ((f.target === t && f.columns.length > 1) || (f.target !== t && remaining.has(f.target))))
        .flatMap((f) => f.columns);
      table.lateColumns = [...new Set(late)];
      ordered.push(table);
      remaining.delete(t);
    }
  }
  return ordered;
}

export { ident };
