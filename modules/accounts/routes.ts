import { readOptionalDateInput } from '../../server/date-input';
import express, { type Request, type Router } from 'express';
import { auditDetailText, auditSentence } from './audit-words';
import rateLimit from 'express-rate-limit';
import { allow, caller, can, managedScope, may, ROLE_NAMES, ROLES } from '../../server/access';
import { audit, findUserByEmail, grantRole, hashPassword, listApiTokens, normaliseEmail, revokeApiTokens } from '../../server/auth/users';
import { NotFoundError } from '../../server/errors';
import type { ModuleContext } from '../../server/module';
import { createOrganisationStore } from '../organisations/api';
import { linkOrStartStaffRecord } from '../staff/api';
import { checkInvitation, checkNewPassword, checkRoleGrant, invitableRoles } from './rules';
import {
  AUDIT_PER_PAGE,
  auditActions,
  claimInvitation,
  consumeResetToken,
  createInvitation,
  createResetToken,
  getUser,
  INVITATION_DAYS,
  invitationForToken,
  listUsers,
  pendingInvitations,
  RESET_LINK_MINUTES,
  resetTokenUser,
  revokeRole,
  searchAudit,
  unlockUser,
  USERS_PER_PAGE,
  withdrawInvitation,
} from './store';

const str = (v: unknown) => (typeof v === 'string' ? v.trim() : '');
const pageNumber = (v: unknown) => Math.max(1, Math.min(10_000, Number.parseInt(str(v), 10) || 1));
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function accountRoutes(ctx: ModuleContext): Router {
  const router = express.Router();
  const pool = ctx.database.pool;
  const publicUrl = ctx.config.publicUrl;
  const view = ctx.view;

  const limiter = (what: string) =>
    rateLimit({
      windowMs: 15 * 60 * 1000,
      limit: ctx.config.env === 'test' ? 1000 : 10,
      standardHeaders: 'draft-7',
      legacyHeaders: false,
      handler: (_req, res) =>
        res.status(429).render(view('message'), {
          title: 'Too many attempts',
          heading: 'Too many attempts',
          message: `Too many ${what} from your network. Wait 15 minutes and try again.`,
        }),
    });

  async function organisations(ids?: string[] | 'all') {
    const rows = (await createOrganisationStore(pool).list()).map(({ id, name }) => ({ id, name }));
    return ids === 'all' || !ids ? rows : rows.filter((o) => ids.includes(o.id));
  }

  // ---- password reset -----------------------------------------------------

  router.get('/password-reset', (_req, res) => res.render(view('reset-request'), { title: 'Reset your password' }));

  router.post('/password-reset', limiter('password reset requests'), async (req, res) => {
    const email = str((req.body as Record<string, unknown>).email);
    if (!/^[^@\s]+@[^@\s]+$/.test(email)) {
      const errors = [{ text: 'Enter your email address in the correct format, like name@example.org.uk', href: '#email' }];
      return res.status(400).render(view('reset-request'), { title: 'Reset your password', errors, email });
    }
    const user = await findUserByEmail(pool, email);
    // The same answer whether or not there is an account, so the page cannot be used to find who has one.
    if (user && !user.disabled) {
      const token = await createResetToken(pool, user.id);
      if (token) {
        await ctx.mailer.queue({
          to: user.email,
          subject: 'Reset your password',
          category: 'account',
          text: `Someone asked to reset the password for ${user.email}.\n\nTo choose a new password, open this link within ${RESET_LINK_MINUTES} minutes. It works once:\n${publicUrl}/password-reset/${token}\n\nIf this was not you, you can ignore this email: your password has not changed.`,
        });
        await audit(pool, { action: 'password.reset-requested', subjectType: 'user', subjectId: user.id, ip: req.ip });
      }
    }
    res.render(view('reset-sent'), { title: 'Check your email', email });
  });

  // A reset link is swapped for this browser's session and the address bar
  // loses the token, so it cannot leak through history, logs or a shared
  // screen. The link itself stays good until the password is changed or it
  // expires: a mail scanner that opens links must not spend it.
  const expiredReset = (res: express.Response) =>
    res.status(410).render(view('link-expired'), { title: 'This link has expired or was already used', reset: true });
  const resetForm = (email: string, errors?: { text: string; href: string }[]) => ({
    title: 'Choose a new password',
    action: '/password-reset/new',
    email,
    button: 'Change password',
    errors,
  });

  router.get('/password-reset/new', async (req, res) => {
    const token = req.session?.resetToken;
    const found = token ? await resetTokenUser(pool, token) : undefined;
    if (!found) return expiredReset(res);
    res.render(view('set-password'), resetForm(found.email));
  });

  router.get('/password-reset/:token', async (req, res) => {
    const token = String(req.params.token);
    if (!(await resetTokenUser(pool, token))) return expiredReset(res);
    req.session.resetToken = token;
    res.redirect('/password-reset/new');
  });

  router.post('/password-reset/new', limiter('password changes'), async (req, res) => {
    const token = req.session?.resetToken;
    const found = token ? await resetTokenUser(pool, token) : undefined;
    if (!token || !found) return expiredReset(res);
    const body = req.body as Record<string, unknown>;
    const password = typeof body.password === 'string' ? body.password : '';
    const errors = checkNewPassword(password, typeof body.confirm === 'string' ? body.confirm : '', found.email);
    if (errors.length) return res.status(400).render(view('set-password'), resetForm(found.email, errors));
    const hash = await hashPassword(password);
    const userId = await ctx.database.transaction((client) => consumeResetToken(client, token, hash));
    delete req.session.resetToken;
    if (!userId) return expiredReset(res);
    await audit(pool, { actorUserId: userId, action: 'password.reset', subjectType: 'user', subjectId: userId, ip: req.ip });
    req.session.flash = 'Your password has been changed. Sign in with your new password.';
    res.redirect('/sign-in');
  });

  // ---- invitations ----------------------------------------------------------

  router.get('/invitations', allow(can.manageStaff), async (req, res) => {
    const who = caller(req);
    res.render(view('invitations'), { title: 'Invitations', invitations: await pendingInvitations(pool, managedScope(who)), roleNames: ROLE_NAMES });
  });

  const inviteModel = async (req: Request, extra: Record<string, unknown> = {}) => {
    const who = caller(req);
    const scope = managedScope(who);
    return {
      title: 'Invite someone',
      roles: invitableRoles(who).map((r) => ({ value: r, text: ROLE_NAMES[r] })),
      organisations: await organisations(scope.kind === 'all' ? 'all' : scope.organisationIds),
      isAdmin: may(who, can.administerPartnership),
      form: { role: 'learner' },
      ...extra,
    };
  };

  router.get('/invitations/new', allow(can.manageStaff), async (req, res) => {
    res.render(view('invite'), await inviteModel(req));
  });

  router.post('/invitations/new', allow(can.manageStaff), async (req, res) => {
    const who = caller(req);
    const body = req.body as Record<string, unknown>;
    const form = { name: str(body.name), email: str(body.email), role: str(body.role), organisationId: str(body.organisationId) };
    if (form.organisationId && !UUID.test(form.organisationId)) throw new NotFoundError('organisation');
    const checked = checkInvitation(who, form);
    if (checked.outOfScope) throw new NotFoundError('organisation');
    if (!checked.errors.length && (await findUserByEmail(pool, form.email))) {
      checked.errors.push({ text: 'This person already has an account. Ask a partnership administrator to give them the role instead.', href: '#email' });
    }
    if (checked.errors.length || !checked.role) return res.status(400).render(view('invite'), await inviteModel(req, { form, errors: checked.errors }));
    const invitation = await createInvitation(pool, {
      email: form.email,
      name: form.name,
      organisationId: checked.organisationId,
      role: checked.role,
      invitedBy: who.userId,
    });
    const orgName = checked.organisationId ? (await organisations([checked.organisationId]))[0]?.name : undefined;
    const partnershipName = (res.locals.partnership as { name?: string } | undefined)?.name ?? 'the partnership';
    await ctx.mailer.queue({
      to: normaliseEmail(form.email),
      subject: `You are invited to ${partnershipName} training`,
      category: 'account',
      organisationId: checked.organisationId,
      text: `${who.name} has invited you to the domestic abuse training of ${partnershipName}${orgName ? ` as part of ${orgName}` : ''}.\n\nTo set your password and sign in, open this link within ${INVITATION_DAYS} days:\n${publicUrl}/invitations/${invitation.token}\n`,
    });
    await audit(pool, {
      actorUserId: who.userId,
      action: 'invitation.sent',
      organisationId: checked.organisationId,
      subjectType: 'invitation',
      subjectId: invitation.id,
      detail: { email: normaliseEmail(form.email), role: checked.role },
      ip: req.ip,
    });
    req.session.flash = `Invitation sent to ${form.email}`;
    res.redirect('/invitations');
  });

  router.post('/invitations/:id/withdraw', allow(can.manageStaff), async (req, res) => {
    const who = caller(req);
    const withdrawn = await withdrawInvitation(pool, managedScope(who), String(req.params.id));
    if (!withdrawn) throw new NotFoundError('invitation');
    await audit(pool, {
      actorUserId: who.userId,
      action: 'invitation.withdrawn',
      organisationId: withdrawn.organisationId,
      subjectType: 'invitation',
      subjectId: withdrawn.id,
      ip: req.ip,
    });
    req.session.flash = `Invitation to ${withdrawn.email} withdrawn`;
    res.redirect('/invitations');
  });

  // As with reset links: the token moves into the session and out of the address bar.
  const expiredInvitation = (res: express.Response) => res.status(410).render(view('link-expired'), { title: 'This link has expired or was already used' });
  const invitationForm = (invitation: { email: string }, errors?: { text: string; href: string }[]) => ({
    title: 'Set your password',
    invitation,
    action: '/invitations/accept',
    email: invitation.email,
    button: 'Set password and sign in',
    errors,
  });

  router.get('/invitations/accept', async (req, res) => {
    const token = req.session?.invitationToken;
    const invitation = token ? await invitationForToken(pool, token) : undefined;
    if (!invitation) return expiredInvitation(res);
    res.render(view('set-password'), invitationForm(invitation));
  });

  router.get('/invitations/:token', async (req, res) => {
    const token = String(req.params.token);
    if (!(await invitationForToken(pool, token))) return expiredInvitation(res);
    req.session.invitationToken = token;
    res.redirect('/invitations/accept');
  });

  router.post('/invitations/accept', limiter('attempts'), async (req, res, next) => {
    const token = req.session?.invitationToken;
    const invitation = token ? await invitationForToken(pool, token) : undefined;
    if (!token || !invitation) return expiredInvitation(res);
    const body = req.body as Record<string, unknown>;
    const password = typeof body.password === 'string' ? body.password : '';
    const errors = checkNewPassword(password, typeof body.confirm === 'string' ? body.confirm : '', invitation.email);
    if (errors.length) return res.status(400).render(view('set-password'), invitationForm(invitation, errors));
    const hash = await hashPassword(password);
    const result = await ctx.database.transaction(async (client) => {
      const claimed = await claimInvitation(client, token);
      if (!claimed) return { problem: 'expired' as const };
      if (await findUserByEmail(client, claimed.email)) return { problem: 'exists' as const };
      // Opening the invitation's link proved the address.
      const { rows } = await client.query<{ id: string }>(
        'insert into users (email, display_name, password_hash, last_sign_in_at, email_verified_at) values ($1, $2, $3, now(), now()) returning id',
        [claimed.email, claimed.name, hash],
      );
      const userId = rows[0].id;
      await client.query('update invitations set accepted_user_id = $2 where id = $1', [claimed.id, userId]);
      if (claimed.role === 'learner' && claimed.organisationId) {
        await linkOrStartStaffRecord(client, { organisationId: claimed.organisationId, email: claimed.email, name: claimed.name, userId });
      } else {
        await grantRole(client, userId, { role: claimed.role, organisationId: claimed.organisationId }, null);
      }
      await audit(client, {
        actorUserId: userId,
        action: 'invitation.accepted',
        organisationId: claimed.organisationId,
        subjectType: 'user',
        subjectId: userId,
        detail: { role: claimed.role },
        ip: req.ip,
      });
      return { userId };
    });
    delete req.session.invitationToken;
    if ('problem' in result) {
      if (result.problem === 'exists') {
        req.session.flash = 'You already have an account. Sign in, or reset your password.';
        return res.redirect('/sign-in');
      }
      return res.status(410).render(view('link-expired'), { title: 'This link has expired or was already used' });
    }
    req.login({ id: result.userId }, (err) => {
      if (err) return next(err);
      void audit(pool, { actorUserId: result.userId, action: 'sign-in', detail: { method: 'invitation' }, ip: req.ip });
      req.session.flash = 'Your account is ready.';
      res.redirect('/');
    });
  });

  // ---- users and roles ------------------------------------------------------

  router.get('/admin/users', allow(can.administerPartnership), async (req, res) => {
    const page = pageNumber(req.query.page);
    const search = str(req.query.q);
    const { users, total } = await listUsers(pool, { search, page });
    res.render(view('users'), {
      title: 'People and roles',
      users,
      total,
      search,
      roleNames: ROLE_NAMES,
      pagination: pagination(page, total, USERS_PER_PAGE, '/admin/users', { q: search }),
    });
  });

  const userModel = async (id: string, extra: Record<string, unknown> = {}) => {
    const user = await getUser(pool, id);
    if (!user) throw new NotFoundError('person');
    return {
      title: user.displayName,
      user,
      roles: ROLES.map((r) => ({ value: r, text: ROLE_NAMES[r] })),
      roleNames: ROLE_NAMES,
      organisations: await organisations('all'),
      tokens: await listApiTokens(pool, id),
      ...extra,
    };
  };

  router.get('/admin/users/:id', allow(can.administerPartnership), async (req, res) => {
    res.render(view('user'), await userModel(String(req.params.id)));
  });

  router.post('/admin/users/:id/roles', allow(can.administerPartnership), async (req, res) => {
    const who = caller(req);
    const id = String(req.params.id);
    const model = await userModel(id);
    const body = req.body as Record<string, unknown>;
    const organisationId = str(body.organisationId);
    if (organisationId && !UUID.test(organisationId)) throw new NotFoundError('organisation');
    const checked = checkRoleGrant(str(body.role), organisationId);
    if (checked.errors.length || !checked.role)
      return res.status(400).render(view('user'), { ...model, errors: checked.errors, form: { role: str(body.role), organisationId } });
    await grantRole(pool, id, { role: checked.role, organisationId: checked.organisationId }, who.userId);
    await audit(pool, {
      actorUserId: who.userId,
      action: 'role.granted',
      organisationId: checked.organisationId,
      subjectType: 'user',
      subjectId: id,
      detail: { role: checked.role, email: model.user.email },
      ip: req.ip,
    });
    req.session.flash = `${model.user.displayName} is now ${ROLE_NAMES[checked.role].toLowerCase()}`;
    res.redirect(`/admin/users/${id}`);
  });

  router.post('/admin/users/:id/roles/revoke', allow(can.administerPartnership), async (req, res) => {
    const who = caller(req);
    const id = String(req.params.id);
    const model = await userModel(id);
    const body = req.body as Record<string, unknown>;
    const role = str(body.role);
    const organisationId = str(body.organisationId) || null;
    const grant = model.user.roles.find((r) => r.role === role && r.organisationId === organisationId);
    if (!grant) throw new NotFoundError('role');
    if (id === who.userId && grant.role === 'partnership-admin') {
      return res.status(400).render(view('user'), {
        ...model,
        errors: [{ text: 'You cannot remove your own administrator role: ask another partnership administrator', href: '#roles' }],
      });
    }
    await revokeRole(pool, id, grant.role, grant.organisationId);
    await audit(pool, {
      actorUserId: who.userId,
      action: 'role.revoked',
      organisationId: grant.organisationId,
      subjectType: 'user',
      subjectId: id,
      detail: { role: grant.role, email: model.user.email },
      ip: req.ip,
    });
    req.session.flash = `${ROLE_NAMES[grant.role]} role removed from ${model.user.displayName}`;
    res.redirect(`/admin/users/${id}`);
  });

  router.post('/admin/users/:id/unlock', allow(can.administerPartnership), async (req, res) => {
    const who = caller(req);
    const id = String(req.params.id);
    const model = await userModel(id);
    await unlockUser(pool, id);
    await audit(pool, {
      actorUserId: who.userId,
      action: 'account.unlocked',
      subjectType: 'user',
      subjectId: id,
      detail: { email: model.user.email },
      ip: req.ip,
    });
    req.session.flash = `${model.user.displayName} can sign in again`;
    res.redirect(`/admin/users/${id}`);
  });

  router.post('/admin/users/:id/api-tokens/:tokenId/revoke', allow(can.administerPartnership), async (req, res) => {
    const who = caller(req);
    const id = String(req.params.id);
    const tokenId = String(req.params.tokenId);
    const model = await userModel(id);
    if (!UUID.test(tokenId) || !(await revokeApiTokens(pool, id, 'by an administrator', tokenId))) throw new NotFoundError('API token');
    await audit(pool, {
      actorUserId: who.userId,
      action: 'api-token.revoked',
      subjectType: 'user',
      subjectId: id,
      detail: { token: tokenId, email: model.user.email },
      ip: req.ip,
    });
    req.session.flash = `API token of ${model.user.displayName} revoked`;
    res.redirect(`/admin/users/${id}#api-tokens`);
  });

  // ---- a person's own API tokens ---------------------------------------------

  router.get('/account/api-tokens', async (req, res) => {
    const who = caller(req);
    res.render(view('api-tokens'), { title: 'Your API tokens', tokens: await listApiTokens(pool, who.userId) });
  });

  router.post('/account/api-tokens/:tokenId/revoke', async (req, res) => {
    const who = caller(req);
    const tokenId = String(req.params.tokenId);
    if (!UUID.test(tokenId) || !(await revokeApiTokens(pool, who.userId, 'by its owner', tokenId))) throw new NotFoundError('API token');
    await audit(pool, {
      actorUserId: who.userId,
      action: 'api-token.revoked',
      subjectType: 'user',
      subjectId: who.userId,
      detail: { token: tokenId },
      ip: req.ip,
    });
    req.session.flash = 'API token revoked. Anything using it can no longer reach the service.';
    res.redirect('/account/api-tokens');
  });

  // ---- audit log ------------------------------------------------------------

  router.get('/admin/audit', allow(can.administerPartnership), async (req, res) => {
    const errors: { text: string; href: string }[] = [];
    const from = readOptionalDateInput(req.query, 'from', 'the start date');
    const to = readOptionalDateInput(req.query, 'to', 'the end date');
    for (const d of [from, to]) if (d.error) errors.push(d.error);
    // The filters as the address keeps them (pagination links): each date whole.
    const q = { action: str(req.query.action), from: from.value ?? '', to: to.value ?? '', organisation: str(req.query.organisation) };
    if (q.organisation && !UUID.test(q.organisation)) errors.push({ text: 'Select an organisation from the list', href: '#organisation' });
    const page = pageNumber(req.query.page);
    const { entries, total } = errors.length
      ? { entries: [], total: 0 }
      : await searchAudit(pool, {
          action: q.action || undefined,
          from: q.from || undefined,
          to: q.to || undefined,
          organisationId: q.organisation || undefined,
          page,
        });
    res.status(errors.length ? 400 : 200).render(view('audit'), {
      title: 'Audit log',
      q,
      dates: { from: from.error ? from.entered : q.from, to: to.error ? to.entered : q.to },
      errors: errors.length ? errors : undefined,
      entries: entries.map((e) => ({ ...e, sentence: auditSentence(e.action, e.detail), detailText: auditDetailText(e.detail) })),
      total,
      actions: await auditActions(pool),
      organisations: await organisations('all'),
      pagination: pagination(page, total, AUDIT_PER_PAGE, '/admin/audit', q),
    });
  });

  return router;
}

/** Previous/next links in the GOV.UK pagination pattern, keeping the filters. */
export function pagination(page: number, total: number, perPage: number, base: string, query: Record<string, string>) {
  const pages = Math.max(1, Math.ceil(total / perPage));
  const href = (p: number) => {
    const params = new URLSearchParams(Object.entries({ ...query, page: String(p) }).filter(([, v]) => v !== ''));
    return `${base}?${params}`;
  };
  return { page, pages, previous: page > 1 ? href(page - 1) : undefined, next: page < pages ? href(page + 1) : undefined, show: pages > 1 };
}
