import { dateValueFrom } from '../../server/date-input';
import Busboy from 'busboy';
import express, { type Request, type Response } from 'express';
import { allow, caller, can, managedScope, type OrganisationScope } from '../../server/access';
import { checkUploadToken } from '../../server/auth/csrf';
import { HttpError, NotFoundError } from '../../server/errors';
import { defineModule, type ModuleContext } from '../../server/module';
import { londonToday } from '../../server/london';
import { seedDemoEvidence } from './demo';
import {
  achievedDay,
  documentType,
  MAX_DOCUMENT_BYTES,
  type RecordForm,
  recordFormFrom,
  SIGN_OFF_KINDS,
  validateChange,
  validateRecord,
  validateVerify,
} from './rules';
import { signOffScope, viewScope } from './scopes';
import {
  changeEvidence,
  findStaffInScope,
  frameworkChoices,
  listEvidence,
  readDocument,
  recordEvidence,
  SOURCE_NAMES,
  saveDocument,
  verifyDocument,
} from './store';

function list(value: unknown): string[] {
  return (Array.isArray(value) ? value : typeof value === 'string' ? [value] : []).map(String);
}

async function renderRecord(
  ctx: ModuleContext,
  req: Request,
  res: Response,
  kind: RecordForm['kind'],
  form: Partial<RecordForm>,
  errors: { text: string; href: string }[] = [],
) {
  const c = caller(req);
  const person = await findStaffInScope(ctx.database.pool, kind === 'sign-off' ? signOffScope(c) : managedScope(c), String(req.params.id));
  if (!person) throw new NotFoundError('member of staff');
  const choices = await frameworkChoices(ctx.database.pool, person.groupNumber);
  const heading = kind === 'sign-off' ? 'Record sign-off' : 'Record prior learning';
  res.status(errors.length ? 400 : 200).render(ctx.view('record'), {
    title: `${heading}`,
    heading,
    person,
    kind,
    isSignOff: kind === 'sign-off',
    form: { competencyIds: [], ...form },
    errors,
    signOffKinds: Object.entries(SIGN_OFF_KINDS).map(([value, text], i) => ({
      value,
      text,
      id: i ? `signOffKind-${i}` : 'signOffKind',
      checked: form.signOffKind === value,
    })),
    competencies: choices.competencies.filter((c) => c.ownGroup || person.groupNumber == null),
    examples: choices.examples.filter((x) => person.groupNumber == null || x.groupNumber <= person.groupNumber),
    today: londonToday(),
  });
}

async function postRecord(ctx: ModuleContext, req: Request, res: Response, kind: RecordForm['kind']) {
  const c = caller(req);
  const scope = kind === 'sign-off' ? signOffScope(c) : managedScope(c);
  const person = await findStaffInScope(ctx.database.pool, scope, String(req.params.id));
  if (!person) throw new NotFoundError('member of staff');
  const form = recordFormFrom(kind, req.body ?? {});
  const choices = await frameworkChoices(ctx.database.pool, person.groupNumber);
  const today = londonToday();
  const errors = validateRecord(form, { competencyIds: choices.competencies.map((x) => x.id), examples: choices.examples.map((x) => x.text) }, today);
  if (errors.length) return renderRecord(ctx, req, res, kind, form, errors);
  await recordEvidence(ctx.database, ctx.events, scope, {
    staffId: person.id,
    competencyIds: form.competencyIds,
    achievedOn: achievedDay(form.achievedOn, '', today).value as string,
    source: kind,
    signOffKind: kind === 'sign-off' ? form.signOffKind : null,
    evidenceExample: kind === 'sign-off' ? form.evidenceExample : null,
    note: form.note,
    recordedBy: c.userId,
    verifiedBy: c.userId,
  });
  req.session.flash = kind === 'sign-off' ? 'Sign-off recorded' : 'Prior learning recorded';
  res.redirect(`/staff/${person.id}/evidence`);
}

/** Reads one uploaded file (and the text fields) from a multipart form, refusing anything over the size limit. */
function readUpload(req: Request): Promise<{ fields: Record<string, string>; file?: { filename: string; content: Buffer; truncated: boolean } }> {
  return new Promise((resolve, reject) => {
    const fields: Record<string, string> = {};
    let file: { filename: string; content: Buffer; truncated: boolean } | undefined;
    let bb: ReturnType<typeof Busboy>;
    try {
      bb = Busboy({ headers: req.headers, limits: { files: 1, fileSize: MAX_DOCUMENT_BYTES, fields: 10, fieldSize: 2000 } });
    } catch {
      return reject(new HttpError(400, 'Choose a file to upload.'));
    }
    bb.on('field', (name, value) => {
      fields[name] = value.trim();
    });
    bb.on('file', (_name, stream, info) => {
      const chunks: Buffer[] = [];
      let truncated = false;
      stream.on('data', (d: Buffer) => chunks.push(d));
      stream.on('limit', () => {
        truncated = true;
      });
      stream.on('close', () => {
        if (info.filename) file = { filename: info.filename, content: Buffer.concat(chunks), truncated };
      });
    });
    bb.on('close', () => resolve({ fields, file }));
    bb.on('error', reject);
    req.pipe(bb);
  });
}

export default defineModule({
  name: 'evidence',
  dependsOn: ['staff', 'framework', 'courses', 'organisations'],
  seedDemo: seedDemoEvidence,
  uploads: [/^\/staff\/[^/]+\/evidence\/upload$/],
  routes(ctx) {
    const router = express.Router();
    const pool = ctx.database.pool;

    router.get('/staff/:id/evidence/sign-off', allow(can.recordTraining), (req, res) => renderRecord(ctx, req, res, 'sign-off', {}));
    router.post('/staff/:id/evidence/sign-off', allow(can.recordTraining), (req, res) => postRecord(ctx, req, res, 'sign-off'));
    router.get('/staff/:id/evidence/prior-learning', allow(can.manageStaff), (req, res) => renderRecord(ctx, req, res, 'prior-learning', {}));
    router.post('/staff/:id/evidence/prior-learning', allow(can.manageStaff), (req, res) => postRecord(ctx, req, res, 'prior-learning'));

    router.get('/staff/:id/evidence/upload', allow(), async (req, res) => {
      const c = caller(req);
      const staffId = String(req.params.id);
      const person = await findStaffInScope(pool, c.staffIds.includes(staffId) ? { kind: 'all' } : managedScope(c), staffId);
      if (!person) throw new NotFoundError('member of staff');
      res.render(ctx.view('upload'), { title: 'Upload a training document', person, form: {} });
    });

    router.post('/staff/:id/evidence/upload', allow(), async (req, res) => {
      const c = caller(req);
      const staffId = String(req.params.id);
      const scope: OrganisationScope = c.staffIds.includes(staffId) ? { kind: 'all' } : managedScope(c);
      const person = await findStaffInScope(pool, scope, staffId);
      if (!person) throw new NotFoundError('member of staff');
      const { fields, file } = await readUpload(req);
      checkUploadToken(req, fields);
      const errors: { text: string; href: string }[] = [];
      if (!fields.title) errors.push({ text: 'Enter the name of the training', href: '#title' });
      else if (fields.title.length > 300) errors.push({ text: 'The name of the training must be 300 characters or fewer', href: '#title' });
      const contentType = file && !file.truncated ? documentType(file.filename, file.content.subarray(0, 8)) : null;
      if (!file || file.content.length === 0) errors.push({ text: 'Select a file', href: '#document' });
      else if (file.truncated) errors.push({ text: 'The file must be smaller than 5 MB', href: '#document' });
      else if (!contentType) errors.push({ text: 'The file must be a PDF, JPG, PNG or Word (.docx) document', href: '#document' });
      if (errors.length || !file || !contentType) {
        return res.status(400).render(ctx.view('upload'), { title: 'Error: Upload a training document', person, form: fields, errors });
      }
      await saveDocument(pool, scope, {
        staffId,
        title: fields.title.slice(0, 300),
        filename: file.filename.slice(0, 200),
        contentType,
        content: file.content,
        achievedOn: null,
        uploadedBy: c.userId,
      });
      req.session.flash = 'Document uploaded. A lead will check it and record it as evidence.';
      res.redirect(`/staff/${staffId}/evidence`);
    });

    router.get('/staff/:id/documents/:documentId', allow(), async (req, res) => {
      const c = caller(req);
      const staffId = String(req.params.id);
      const doc = await readDocument(pool, viewScope(c, staffId), staffId, String(req.params.documentId));
      if (!doc) throw new NotFoundError('document');
      res.set('content-type', doc.contentType);
      res.set('x-content-type-options', 'nosniff');
      res.attachment(doc.filename);
      res.send(doc.content);
    });

    router.post('/staff/:id/documents/:documentId/verify', allow(can.manageStaff), async (req, res) => {
      const c = caller(req);
      const staffId = String(req.params.id);
      const scope = managedScope(c);
      const person = await findStaffInScope(pool, scope, staffId);
      if (!person) throw new NotFoundError('member of staff');
      const form = { competencyIds: list(req.body?.competencyIds), achievedOn: dateValueFrom(req.body ?? {}, 'achievedOn') };
      const choices = await frameworkChoices(pool, person.groupNumber);
      const today = londonToday();
      const errors = validateVerify(
        form,
        choices.competencies.map((x) => x.id),
        today,
      );
      if (errors.length) throw new HttpError(400, `${errors.map((e) => e.text).join('. ')}.`);
      const achievedOn = achievedDay(form.achievedOn, '', today).value as string;
      await verifyDocument(ctx.database, ctx.events, scope, {
        staffId,
        documentId: String(req.params.documentId),
        competencyIds: form.competencyIds,
        achievedOn,
        by: c.userId,
      });
      req.session.flash = 'Document verified and recorded as evidence';
      res.redirect(`/staff/${staffId}/evidence`);
    });

    async function renderChange(req: Request, res: Response, form: Record<string, unknown>, errors: { text: string; href: string }[] = []) {
      const c = caller(req);
      const staffId = String(req.params.id);
      const entries = await listEvidence(pool, managedScope(c), staffId);
      const entry = entries.find((e) => e.id === req.params.evidenceId && !e.withdrawn && !e.replacedById);
      if (!entry) throw new NotFoundError('evidence');
      res.status(errors.length ? 400 : 200).render(ctx.view('change'), {
        title: `Correct or withdraw evidence`,
        staffId,
        entry: { ...entry, sourceName: SOURCE_NAMES[entry.source] },
        form,
        errors,
      });
    }

    router.get('/staff/:id/evidence/:evidenceId/change', allow(can.manageStaff), (req, res) => renderChange(req, res, {}));
    router.post('/staff/:id/evidence/:evidenceId/change', allow(can.manageStaff), async (req, res) => {
      const c = caller(req);
      const s = (k: string) => (typeof req.body?.[k] === 'string' ? (req.body[k] as string).trim() : '');
      const form = { action: s('action'), reason: s('reason'), achievedOn: dateValueFrom(req.body ?? {}, 'achievedOn'), note: s('note') };
      const today = londonToday();
      const errors = validateChange(form, today);
      if (errors.length) return renderChange(req, res, form, errors);
      const scope = managedScope(c);
      const staffId = String(req.params.id);
      const entries = await listEvidence(pool, scope, staffId);
      if (!entries.some((e) => e.id === req.params.evidenceId)) throw new NotFoundError('evidence');
      await changeEvidence(ctx.database, scope, {
        evidenceId: String(req.params.evidenceId),
        reason: form.reason,
        withdraw: form.action === 'withdraw',
        achievedOn: form.action === 'correct' ? achievedDay(form.achievedOn, '', today).value : undefined,
        note: form.action === 'correct' && form.note ? form.note : undefined,
        by: c.userId,
      });
      req.session.flash = form.action === 'withdraw' ? 'Evidence withdrawn' : 'Evidence corrected';
      res.redirect(`/staff/${staffId}/evidence`);
    });
    return router;
  },
});
