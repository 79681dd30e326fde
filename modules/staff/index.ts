import { can } from '../../server/access';
import { defineModule } from '../../server/module';
import { staffImportCommand } from './cli';
import { seedDemoStaff } from './demo';
import { staffRoutes } from './routes';
import { createStaffStore } from './store';

export default defineModule({
  name: 'staff',
  dependsOn: ['organisations', 'framework'],
  nav: [
    { label: 'Staff records', href: '/staff', roles: can.manageStaff, order: 11 },
    {
      label: 'Import staff',
      href: '/staff/import',
      roles: can.manageStaff,
      order: 31,
      hub: { topic: 'people', description: 'Add or update staff records from a spreadsheet, with a preview before anything changes' },
    },
    {
      label: 'Unmapped job titles',
      href: '/staff/unmapped-roles',
      roles: can.manageStaff,
      order: 32,
      hub: { topic: 'people', description: 'Job titles with no staff group yet, and the people waiting on them' },
    },
  ],
  routes: staffRoutes,
  uploads: [/^\/staff\/import$/],
  cli: { 'staff:import': staffImportCommand },
  events(ctx) {
    const store = createStaffStore(ctx.database, ctx.events);
    ctx.events.on('framework.published', async (published) => {
      await store.followFramework(published.client, published);
    });
  },
  async onStart(ctx) {
    // After the framework module has loaded the default framework.
    const added = await createStaffStore(ctx.database, ctx.events).ensureDefaultMappings();
    if (added) ctx.logger.info({ added }, 'loaded the default job title mappings from the framework');
  },
  seedDemo: seedDemoStaff,
});
