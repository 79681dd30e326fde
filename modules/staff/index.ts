import { defineModule } from '../../server/module';
import { staffImportCommand } from './cli';
import { seedDemoStaff } from './demo';
import { staffRoutes } from './routes';
import { createStaffStore } from './store';

export default defineModule({
  name: 'staff',
  dependsOn: ['organisations', 'framework'],
  nav: [{ label: 'Staff', href: '/staff', roles: ['org-lead', 'partnership-admin'], order: 30 }],
  routes: staffRoutes,
  uploads: [/^\/staff\/import$/],
  cli: { 'staff:import': staffImportCommand },
  async onStart(ctx) {
    // After the framework module has loaded the default framework.
    const added = await createStaffStore(ctx.database, ctx.events).ensureDefaultMappings();
    if (added) ctx.logger.info({ added }, 'loaded the default job title mappings from the framework');
  },
  seedDemo: seedDemoStaff,
});
