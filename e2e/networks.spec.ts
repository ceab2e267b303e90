import { test, expect, type Page } from '@playwright/test';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { createServer } from 'node:net';
import path from 'node:path';
import { startServer, screenshotDir, type VesselServer } from './server.js';

/**
 * Networking in the UI against the real core (CNI, QEMU, the guest agent):
 * create a network, create a sandbox on it, see its IP, forward a port and
 * fetch the container's page through it from the test, connect and
 * disconnect a second network live. Needs root (namespaces, bridges).
 */

test.describe.configure({ mode: 'serial' });
test.skip(process.getuid?.() !== 0, 'networking in the UI needs root (network namespaces, bridges, iptables)');

let server: VesselServer;
const tag = randomBytes(2).toString('hex');
const netName = `e2e${tag}`;
const sandboxName = `e2e-net-${tag}`;

test.beforeAll(async () => {
  // Guests get their DNS lines from a file this test controls, never the host's resolvers.
  mkdirSync(screenshotDir, { recursive: true });
  const resolv = path.join(screenshotDir, '..', `resolv-${tag}.conf`);
  writeFileSync(resolv, 'nameserver 10.255.255.254\n');
  process.env.VESSEL_RESOLV_CONF = resolv;
  server = await startServer();
});

test.afterAll(async () => {
  await server?.stop();
  server?.vessel('network', 'delete', netName);
});

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(screenshotDir, `${name}.png`) });
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function fetchText(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = get(url, { timeout: 10_000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

test('create a network, a sandbox on it, forward a port, fetch its page, connect and disconnect a network', async ({ page }) => {
  await page.goto(server.url);
  await page.getByRole('button', { name: 'Networks' }).click();
  await expect(page.getByRole('heading', { name: 'Networks', level: 1 })).toBeVisible();

  // Inline validation: a bad CIDR and a gateway outside the subnet.
  await page.getByRole('button', { name: 'New network' }).click();
  const dialog = page.getByRole('dialog', { name: 'New network' });
  await dialog.getByLabel('Name').fill(netName);
  await dialog.getByLabel('Subnet').fill('10.1.2.0/33');
  await expect(dialog.getByRole('alert')).toContainText('IPv4 CIDR');
  await dialog.getByLabel('Subnet').fill('');
  await dialog.getByLabel('Gateway').fill('nope');
  await expect(dialog.getByRole('alert')).toContainText('IPv4 address');
  await dialog.getByLabel('Gateway').fill('');
  await shot(page, 'net-01-create-network');
  await dialog.getByRole('button', { name: 'Create network' }).click();
  const row = page.locator(`tr[data-network="${netName}"]`);
  await expect(row).toBeVisible();
  await expect(row.locator('td').nth(2)).toHaveText(/^10\.89\.\d+\.0\/24$/);
  await shot(page, 'net-02-networks');

  // A sandbox on it; its first container serves /etc over HTTP (hostname and hosts are there).
  await page.getByRole('button', { name: 'Sandboxes' }).first().click();
  await page.getByRole('button', { name: 'New sandbox' }).first().click();
  const create = page.getByRole('dialog', { name: 'New sandbox' });
  await create.getByLabel('Name').fill(sandboxName);
  await create.getByLabel('Network').selectOption(netName);
  await create.getByLabel('Command').fill('httpd -f -p 80 -h /etc');
  await create.getByLabel('TTY').uncheck();
  await create.getByRole('button', { name: 'Create' }).click();
  await expect(page.getByRole('heading', { name: sandboxName, level: 1 })).toBeVisible({ timeout: 240_000 });

  // Its IP in the Network panel.
  const ips = page.getByTestId('nic-ips-net0');
  await expect(ips).toContainText(/10\.89\.\d+\.\d+\/24/, { timeout: 30_000 });

  // A port forward, added live; the test fetches the container's page through it.
  const port = await freePort();
  await page.getByLabel('127.0.0.1 port').fill(String(port));
  await page.getByLabel('→ container port').fill('80');
  await page.getByRole('button', { name: 'Add port' }).click();
  await expect(page.getByRole('list', { name: 'forwarded ports' })).toContainText(`127.0.0.1:${port} → 80/tcp`);
  await expect.poll(() => fetchText(`http://127.0.0.1:${port}/hostname`).catch(() => ''), { timeout: 30_000 }).toBe(`${sandboxName}\n`);

  // Connect the default network live, then disconnect it.
  await page.getByLabel('Connect a network').selectOption('vessel');
  await page.getByRole('button', { name: 'Connect', exact: true }).click();
  const second = page.locator('tr[data-nic="net1"]');
  await expect(second).toContainText('hot-plugged', { timeout: 120_000 });
  await expect(second).toContainText(/10\.89\.\d+\.\d+\/24/);
  await shot(page, 'net-03-sandbox-network-panel');
  await second.getByRole('button', { name: 'disconnect vessel' }).click();
  await expect(second).toHaveCount(0, { timeout: 120_000 });

  // The Networks page lists the sandbox on its network.
  await page.getByRole('button', { name: 'Networks' }).click();
  await expect(row.getByRole('button', { name: sandboxName })).toBeVisible();
});
