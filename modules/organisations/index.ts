import express from 'express';
import { allow } from '../../server/access';
import { defineModule } from '../../server/module';
import { createOrganisationStore } from './store';

export default defineModule({
  name: 'organisations',
  api(ctx) {
    const router = express.Router();
    const store = createOrganisationStore(ctx.database.pool);
    router.get('/organisations', allow(), async (_req, res) => {
      const organisations = await store.list();
      res.json({ organisations: organisations.map((o) => ({ slug: o.slug, name: o.name, sector: o.sector, inArea: o.inArea })) });
    });
    return router;
  },
});
