import { test, expect, type Page } from '@playwright/test';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer, screenshotDir, repoRoot, type VesselServer } from './server.js';
import { buildArchImage, buildTwoLayerImage } from '../core/image/test-images.js';
import { registryToolsMissing, skopeoPush, startProxy, startRegistry, type TestProxy, type TestRegistry } from '../core/image/test-registry.js';

/**
 * The Images page against the real core, a real registry on 127.0.0.1 (its
 * own random port) and a real QEMU sandbox: pull with per-layer progress
 * (through a slow loopback proxy) and cancel, pull, pick the image in the
 * create dialog (its ExposedPorts offered as a port forward), delete refused
 * while in use, import an archive.
 */

test.describe.configure({ mode: 'serial' });
const missing = registryToolsMissing();
test.skip(missing !== null, missing ?? '');

let server: VesselServer;
let reg: TestRegistry;
let proxy: TestProxy;
let work: string;
let ref: string;

test.beforeAll(async () => {
  reg = await startRegistry();
  proxy = await startProxy(reg.host);
  proxy.rule.slowBytesPer100ms = 32 * 1024;
  work = mkdtempSync(path.join(tmpdir(), 'vessel-i11-e2e-'));
  const b = buildTwoLayerImage(work, path.join(repoRoot, 'build', 'rootfs', 'busybox'));
  buildArchImage(work, 'one', 'amd64');
  ref = `${reg.host}/test/two:latest`;
  await skopeoPush(b.layout, 'two', ref);
  const archive = spawnSync('/usr/bin/skopeo', ['copy', '--quiet', `oci:${b.layout}:one`, `oci-archive:${path.join(work, 'one.tar')}:localhost/imported/one:v1`], { encoding: 'utf8' });
  if (archive.status !== 0) throw new Error(archive.stderr);
  server = await startServer();
});

test.afterAll(async () => {
  await server?.stop();
  await proxy?.stop();
  await reg?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(screenshotDir, `${name}.png`) });
}

test('pull shows per-layer progress and can be cancelled; a second pull completes and lists the image', async ({ page }) => {
  await page.goto(server.url);
  await page.getByRole('button', { name: 'Images' }).click();
  await expect(page.getByRole('heading', { name: 'Images' })).toBeVisible();
  await page.getByRole('textbox', { name: 'Pull' }).fill(`${proxy.host}/test/two:latest`);
  await page.getByLabel('plain HTTP').check();
  await page.getByRole('button', { name: 'Pull', exact: true }).click();
  const pull = page.locator(`[data-pull="${proxy.host}/test/two:latest"]`);
  await expect(pull.getByRole('progressbar', { name: /^layer / }).first()).toBeVisible();
  await expect(pull).toContainText(/downloading/);
  await shot(page, 'images-pull-progress');
  await pull.getByRole('button', { name: 'Cancel' }).click();
  await expect(pull).toContainText('cancelled');
  await expect(page.getByRole('table', { name: 'images' })).toHaveCount(0);

  await page.getByRole('textbox', { name: 'Pull' }).fill(ref);
  await page.getByRole('button', { name: 'Pull', exact: true }).click();
  const row = page.locator(`tr[data-image="${ref}"]`);
  await expect(row).toBeVisible({ timeout: 60_000 });
  await expect(row).toContainText('test/two');
  await expect(row.getByRole('button', { name: /delete/ })).toBeEnabled();
});

test('the create dialog runs the image; delete is refused while a container uses it; import adds an archive', async ({ page }) => {
  await page.goto(server.url);
  await page.getByRole('button', { name: 'New sandbox' }).first().click();
  const dialog = page.getByRole('dialog', { name: 'New sandbox' });
  await dialog.getByLabel('Name').fill('imgbox');
  await dialog.locator('#create-image').selectOption({ label: `${reg.host}/test/two:latest` });
  await expect(dialog.getByLabel('Command')).toHaveValue('');
  // The image's ExposedPorts (80/tcp) are offered as a port forward, one click to add.
  const suggested = dialog.getByRole('group', { name: 'suggested port forwards' });
  await expect(suggested).toContainText('the image exposes 80/tcp');
  await suggested.getByRole('button', { name: '+ 8080:80/tcp' }).click();
  await expect(dialog.getByLabel('Port forwards')).toHaveValue('8080:80/tcp');
  await expect(suggested).toHaveCount(0);
  await shot(page, 'create-dialog-port-suggestion');
  // Not kept: host port 8080 may be taken on a shared machine.
  await dialog.getByLabel('Port forwards').fill('');
  await expect(suggested.getByRole('button', { name: '+ 8080:80/tcp' })).toBeVisible();
  await dialog.getByLabel('Command').fill('sleep 600');
  await dialog.getByLabel('TTY').uncheck();
  await dialog.getByRole('button', { name: 'Create' }).click();
  await expect(page.getByRole('heading', { name: 'imgbox', level: 1 })).toBeVisible({ timeout: 240_000 });
  await expect(page.locator('tr[data-container]').first()).toContainText('running', { timeout: 60_000 });

  await page.getByRole('button', { name: 'Images' }).click();
  const row = page.locator(`tr[data-image="${ref}"]`);
  await expect(row).toContainText(/imgbox\/c-/);
  await expect(row.getByRole('button', { name: /delete/ })).toBeDisabled();
  await expect(row.getByRole('button', { name: /delete/ })).toHaveAttribute('title', /in use by container c-[0-9a-f]+ in sandbox imgbox/);
  // The core refuses as well (not only the button).
  const cli = server.vessel('image', 'rm', ref);
  expect(cli.code).toBe(1);
  expect(cli.stderr).toMatch(/E_INVALID_STATE: image .* is in use by container c-[0-9a-f]+ in sandbox imgbox/);

  await page.getByRole('textbox', { name: 'Import' }).fill(path.join(work, 'one.tar'));
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  await expect(page.locator('tr[data-image="localhost/imported/one:v1"]')).toBeVisible();
  await shot(page, 'images-page');

  expect(server.vessel('sandbox', 'delete', '--force', 'imgbox').code).toBe(0);
  await page.reload();
  await page.getByRole('button', { name: 'Images' }).click();
  await expect(row.getByRole('button', { name: /delete/ })).toBeEnabled();
  await row.getByRole('button', { name: /delete/ }).click();
  await expect(row).toHaveCount(0);
});
