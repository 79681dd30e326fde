import { defineModule } from '../../server/module';

export default defineModule({
  name: 'evidence',
  dependsOn: ['staff', 'framework', 'courses'],
});
