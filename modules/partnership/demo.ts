import type { ModuleContext } from '../../server/module';

/** The demo partnership's name, area and local support service; left alone if a partnership is set already. */
export async function seedDemoPartnershipSettings(ctx: ModuleContext): Promise<void> {
  await ctx.database.pool.query(`insert into partnership (id, name, area_name, support_links) values (1, $1, $2, $3) on conflict (id) do nothing`, [
    'Vale Domestic Abuse Partnership (demo)',
    'Vale',
    JSON.stringify([
      {
        name: 'Vale Integrated Domestic Abuse Service (demo)',
        url: 'https://example.org/vale-idas',
        description: '0800 000 0000, Monday to Friday 9am to 5pm',
      },
    ]),
  ]);
}
