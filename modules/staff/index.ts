import { defineModule } from '../../server/module';
import { seedDemoStaff } from './demo';

export default defineModule({
  name: 'staff',
  dependsOn: ['organisations', 'framework'],
  seedDemo: seedDemoStaff,
});
