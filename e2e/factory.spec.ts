import { test, expect, type Page } from '@playwright/test';
import path from 'node:path';
import { startServer, screenshotDir, type VesselServer } from './server.js';

/**
 * The VM factory page against the real core: the warm pool (the VM cache
 * server) is sized from the UI, boots a real paused VM and shows it ready;
 * the create dialog says a new sandbox will come from the pool, and the
 * sandbox's page says it did; the pool is stopped again from the UI; bad
 * input is refused inline.
 */

test.describe.configure({ mode: 'serial' });

let server: VesselServer;

test.beforeAll(async () => {
  server = await startServer();
});

test.afterAll(async () => {
  // The cache server outlives the UI by design: stop it, and its VM, whatever the test reached.
  server?.vessel('factory', 'init', '--cache', '0');
  await server?.stop();
});

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(screenshotDir, `${name}.png`), fullPage: true });
}

test('the warm pool is sized from the Factory page: a VM boots paused and is shown ready; 0 stops it', async ({ page }) => {
  test.setTimeout(400_000);
  await page.goto(server.url);
  await page.getByRole('button', { name: 'VM factory' }).click();
  await expect(page.getByRole('heading', { name: 'VM factory', level: 1 })).toBeVisible();
  const pool = page.getByRole('region', { name: 'Warm pool' });
  await expect(pool.getByText('not running')).toBeVisible();

  const size = pool.getByLabel('VMs to keep');
  await size.fill('65');
  await expect(pool.getByRole('alert')).toHaveText('0 to 64');
  await expect(pool.getByRole('button', { name: 'Apply' })).toBeDisabled();
  await size.fill('1');
  await size.press('Enter');
  await expect(pool.getByText(/running \(pid \d+\)/)).toBeVisible({ timeout: 60_000 });
  // A real VM boots (cold under TCG: no template here) and waits paused.
  await expect(pool.getByText('1 of 1', { exact: true })).toBeVisible({ timeout: 300_000 });
  const status = JSON.parse(server.vessel('factory', 'status', '--json').stdout) as { vmCacheNumber: number; cache: { vms: { state: string; pid: number }[] } };
  expect(status.vmCacheNumber).toBe(1);
  expect(status.cache.vms.filter((v) => v.state === 'ready')).toHaveLength(1);
  await shot(page, 'factory-01-warm-pool');

  // The create dialog says the sandbox comes from the pool; it does, and its page says so.
  await page.getByRole('button', { name: 'Sandboxes', exact: false }).first().click();
  await page.getByRole('button', { name: 'New sandbox' }).first().click();
  const dialog = page.getByRole('dialog', { name: 'New sandbox' });
  await dialog.getByLabel('Name').fill('from-pool');
  await expect(dialog.getByRole('status', { name: 'VM source' })).toContainText('from the warm pool');
  await shot(page, 'factory-02-create-from-pool');
  await dialog.getByRole('button', { name: 'Create' }).click();
  await expect(page.getByRole('heading', { name: 'from-pool', level: 1 })).toBeVisible({ timeout: 120_000 });
  await expect(page.getByText(/^cache in \d+\.\d s$/)).toBeVisible({ timeout: 30_000 });
  await shot(page, 'factory-03-sandbox-from-pool');
  expect(server.vessel('sandbox', 'delete', '--force', 'from-pool').code).toBe(0);
  await page.getByRole('button', { name: 'VM factory' }).click();

  await size.fill('0');
  await pool.getByRole('button', { name: 'Apply' }).click();
  await expect(pool.getByText('not running')).toBeVisible({ timeout: 90_000 });
  const after = JSON.parse(server.vessel('factory', 'status', '--json').stdout) as { vmCacheNumber: number; cache: { running: boolean } };
  expect(after.vmCacheNumber).toBe(0);
  expect(after.cache.running).toBe(false);
});
