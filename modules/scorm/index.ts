import { defineModule } from '../../server/module';

export default defineModule({
  name: 'scorm',
  dependsOn: ['courses', 'staff', 'evidence'],
});
