import { defineModule } from '../../server/module';
import { loadDefaultFramework } from './load-default';

export default defineModule({
  name: 'framework',
  dependsOn: ['organisations'],
  async onStart(ctx) {
    if (await loadDefaultFramework(ctx.database)) ctx.logger.info('loaded the Somerset Learning Development Framework as version 1');
  },
});
