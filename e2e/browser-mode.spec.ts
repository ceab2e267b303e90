import { test, expect, type Page } from '@playwright/test';
import path from 'node:path';
import { WebSocket } from 'ws';
import { startServer, screenshotDir, type VesselServer } from './server.js';

/**
 * Browser mode (`vessel serve`) against the real core and a real QEMU
 * sandbox. Serial: one VM at a time.
 */

test.describe.configure({ mode: 'serial' });

let server: VesselServer;

test.beforeAll(async () => {
  server = await startServer();
});

test.afterAll(async () => {
  await server?.stop();
});

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(screenshotDir, `${name}.png`) });
}

test('the server gives nothing without the token, and refuses WebSockets from other origins', async ({ request }) => {
  const bare = await request.get(`${server.origin}/`);
  expect(bare.status()).toBe(403);
  expect(await bare.body()).toHaveLength(0);
  const asset = await request.get(`${server.origin}/app.js`);
  expect(asset.status()).toBe(403);
  const wrong = await request.get(`${server.origin}/?token=not-the-token`);
  expect(wrong.status()).toBe(403);
  const ok = await request.get(server.url);
  expect(ok.status()).toBe(200);
  expect(ok.headers()['content-security-policy']).toContain("script-src 'self'");

  const tryWs = (origin: string, token: string) =>
    new Promise<string>((resolve) => {
      const ws = new WebSocket(`${server.origin.replace('http', 'ws')}/api?token=${token}`, { headers: { Origin: origin } });
      ws.on('open', () => {
        ws.close();
        resolve('open');
      });
      ws.on('unexpected-response', (_req, res) => resolve(`http ${res.statusCode}`));
      ws.on('error', () => resolve('error'));
    });
  expect(await tryWs('http://evil.example', server.token)).toBe('http 403');
  expect(await tryWs(server.origin, 'nope')).toBe('http 403');
  expect(await tryWs(server.origin, server.token)).toBe('open');
});

test('an error keeps its code and message across the WebSocket', async () => {
  const reply = await new Promise<unknown>((resolve, reject) => {
    const ws = new WebSocket(`${server.origin.replace('http', 'ws')}/api?token=${server.token}`, { headers: { Origin: server.origin } });
    ws.on('open', () => ws.send(JSON.stringify({ t: 'call', id: 7, method: 'sandbox.get', params: { id: 'no-such-sandbox' } })));
    ws.on('message', (data) => {
      resolve(JSON.parse(data.toString()));
      ws.close();
    });
    ws.on('error', reject);
  });
  expect(reply).toMatchObject({ t: 'error', id: 7, error: { code: 'E_NOT_FOUND' } });
});

test('an invalid memory value shows an error and creates nothing', async ({ page }) => {
  await page.goto(server.url);
  await expect(page.getByRole('heading', { name: 'Sandboxes', exact: true })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'No sandboxes yet' })).toBeVisible();
  await shot(page, '01-empty-list');
  await page.getByRole('button', { name: 'New sandbox' }).first().click();
  const dialog = page.getByRole('dialog', { name: 'New sandbox' });
  await expect(dialog).toBeVisible();
  await dialog.getByLabel('Memory (MiB)').fill('16');
  await dialog.getByRole('button', { name: 'Create' }).click();
  await expect(dialog.getByRole('alert')).toContainText('memory must be at least 64 MiB');
  await expect(dialog.getByLabel('Memory (MiB)')).toHaveAttribute('aria-invalid', 'true');
  await shot(page, '02-create-invalid-memory');
  await dialog.getByLabel('Memory (MiB)').fill('lots');
  await expect(dialog.getByRole('alert')).toContainText('whole number');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toBeHidden();
  const list = server.vessel('sandbox', 'list', '--json');
  expect(list.code).toBe(0);
  expect(JSON.parse(list.stdout)).toEqual([]);
  await expect(page.getByRole('heading', { name: 'No sandboxes yet' })).toBeVisible();
});

test('create a sandbox, use a console, watch the charts, stop and delete it (real QEMU)', async ({ page }) => {
  await page.goto(server.url);
  await page.getByRole('button', { name: 'New sandbox' }).first().click();
  const dialog = page.getByRole('dialog', { name: 'New sandbox' });
  await dialog.getByLabel('Name').fill('e2e-walk');
  await dialog.getByLabel('Memory (MiB)').fill('384');
  await expect(dialog.getByLabel('Command')).toHaveValue('sh');
  await dialog.getByRole('button', { name: 'Create' }).click();
  // Boot progress is shown while the VM boots.
  await expect(dialog.getByRole('status', { name: 'boot progress' })).toContainText('[hypervisor]', { timeout: 30_000 });
  await shot(page, '03-create-progress');

  // The dialog closes on the sandbox's page once it runs.
  await expect(page.getByRole('heading', { name: 'e2e-walk', level: 1 })).toBeVisible({ timeout: 120_000 });
  await expect(page.getByLabel('state: running').first()).toBeVisible();
  const containerRow = page.locator('tr[data-container]');
  await expect(containerRow).toHaveCount(1);
  await expect(containerRow.getByLabel('state: running')).toBeVisible({ timeout: 30_000 });
  await expect(page.getByRole('heading', { name: 'Guest' })).toBeVisible();
  await expect(page.locator('.kv').nth(1)).toContainText('Kernel', { timeout: 30_000 });

  // Charts draw points at 1 Hz.
  const cpuChart = page.getByRole('figure', { name: 'CPU chart' });
  await expect.poll(async () => Number(await cpuChart.getAttribute('data-points')), { timeout: 30_000 }).toBeGreaterThanOrEqual(4);
  await expect(page.locator('.chart canvas').first()).toBeVisible();
  await shot(page, '04-sandbox-page-charts');

  // The list shows it running, with its container and a sparkline.
  await page.getByRole('button', { name: 'Sandboxes', exact: false }).first().click();
  const row = page.locator('tr[data-sandbox="e2e-walk"]');
  await expect(row.getByLabel('state: running')).toBeVisible();
  await expect(row.locator('td').nth(7)).toHaveText('1');
  await expect.poll(async () => Number(await row.locator('svg.sparkline').first().getAttribute('data-points')), { timeout: 20_000 }).toBeGreaterThanOrEqual(2);
  await shot(page, '05-list-running');

  // A shell in the container: type a command, read its output.
  await row.getByRole('button', { name: 'open sandbox e2e-walk' }).click();
  await page.getByRole('button', { name: /open a shell in/ }).click();
  const status = page.locator('.console-status [role="status"]');
  await expect(status).toHaveText('connected', { timeout: 30_000 });
  const terminal = page.locator('.term-pane .xterm-rows');
  await page.locator('.term-pane .xterm').click();
  await page.keyboard.type('echo hello-$((6*7))\n');
  await expect(terminal).toContainText('hello-42');

  // Resize follows the pane: the process sees the new size.
  const pane = page.locator('.term-pane');
  const sizeBefore = `${await pane.getAttribute('data-rows')} ${await pane.getAttribute('data-cols')}`;
  await page.setViewportSize({ width: 1000, height: 700 });
  const paneSize = async () => `${await pane.getAttribute('data-rows')} ${await pane.getAttribute('data-cols')}`;
  await expect.poll(paneSize).not.toBe(sizeBefore);
  // Layout may pass through intermediate sizes: wait until it settles.
  let sizeAfter = '';
  await expect.poll(async () => {
    const a = await paneSize();
    await page.waitForTimeout(500);
    sizeAfter = await paneSize();
    return a === sizeAfter;
  }).toBe(true);
  await page.keyboard.type('clear; stty size\n');
  await expect(terminal).toContainText(sizeAfter);
  await page.keyboard.type('ls /\n');
  await expect(terminal).toContainText('proc');
  await shot(page, '06-console-shell');

  // Switching tabs keeps the session and its scrollback.
  await page.getByRole('tab', { name: 'Overview' }).click();
  await expect(page.getByRole('heading', { name: 'Containers' })).toBeVisible();
  await page.getByRole('tab', { name: 'Consoles' }).click();
  await expect(terminal).toContainText('proc');
  await expect(status).toHaveText('connected');

  // An ended process says so and offers to reconnect.
  await page.locator('.term-pane .xterm').click();
  await page.keyboard.type('exit 3\n');
  await expect(status).toContainText('process exited with code 3');
  const reconnect = page.getByRole('button', { name: 'Reconnect' });
  await expect(reconnect).toBeVisible();
  await shot(page, '07-console-ended');
  await reconnect.click();
  await expect(status).toHaveText('connected', { timeout: 30_000 });
  await page.locator('.term-pane .xterm').click();
  await page.keyboard.type('echo again-$((2+3))\n');
  await expect(terminal).toContainText('again-5');

  // The VM's serial console shows the guest kernel's output.
  await page.getByRole('button', { name: 'Serial console' }).click();
  await expect(page.getByRole('tabpanel', { name: 'serial console' })).toBeVisible();
  await expect(page.locator('.term-pane .xterm-rows')).toContainText(/Linux|vessel|init/i, { timeout: 20_000 });
  await shot(page, '08-serial-console');

  // After a reload (or an app restart) the open consoles come back.
  await page.reload();
  await page.locator('tr[data-sandbox="e2e-walk"]').getByRole('button', { name: 'open sandbox e2e-walk' }).click();
  await page.getByRole('tab', { name: 'Consoles' }).click();
  await expect(page.getByRole('tablist', { name: 'console sessions' }).getByRole('tab')).toHaveCount(2);
  await expect(page.locator('.console-status [role="status"]')).toHaveText('connected', { timeout: 30_000 });

  // Stop, then delete.
  await page.getByRole('tab', { name: 'Overview' }).click();
  await page.getByRole('button', { name: 'Stop', exact: true }).first().click();
  await expect(page.locator('.page-head').getByLabel('state: stopped')).toBeVisible({ timeout: 60_000 });
  await page.getByRole('button', { name: 'Delete', exact: true }).first().click();
  await expect(page.getByRole('heading', { name: 'Sandboxes', exact: true })).toBeVisible({ timeout: 60_000 });
  await expect(page.getByRole('heading', { name: 'No sandboxes yet' })).toBeVisible();
  expect(JSON.parse(server.vessel('sandbox', 'list', '--json').stdout)).toEqual([]);
});
