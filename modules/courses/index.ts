import { defineModule } from '../../server/module';

export default defineModule({
  name: 'courses',
  dependsOn: ['framework'],
});
