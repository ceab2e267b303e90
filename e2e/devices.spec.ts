import { test, expect } from '@playwright/test';
import { mkdtempSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer, screenshotDir, repoRoot, type VesselServer } from './server.js';

/**
 * The Devices page on SIMULATED host devices (this machine has no IOMMU):
 * a fixture sysfs tree, the sysfs simulator, and the simulation switch, so
 * the fixture GPU hot plugs into a real QEMU sandbox as QEMU's emulated edu
 * device on a real root port. Assign the GPU group by clicking, see it in
 * the sandbox's Devices panel with its guest PCI path, detach it, see the
 * host driver restored.
 */

test.describe.configure({ mode: 'serial' });

let server: VesselServer;
let fixtureDir: string;
let sysfsRoot: string;

function hostDriver(address: string): string | null {
  try {
    return path.basename(readlinkSync(path.join(sysfsRoot, 'bus/pci/devices', address, 'driver')));
  } catch {
    return null;
  }
}

test.beforeAll(async () => {
  fixtureDir = mkdtempSync(path.join(tmpdir(), 'vessel-e2e-sysfs-'));
  const { buildSysfsFixture } = (await import(path.join(repoRoot, 'dist/core/device/testing/fixture-sysfs.js'))) as typeof import('../core/device/testing/fixture-sysfs.js');
  const fx = buildSysfsFixture(fixtureDir);
  sysfsRoot = fx.sysfsRoot;
  server = await startServer([], { VESSEL_DEVICE_SIMULATION: '1', VESSEL_SYSFS_ROOT: fx.sysfsRoot, VESSEL_MOUNTS_FILE: fx.mountsFile });
});

test.afterAll(async () => {
  await server?.stop();
  if (fixtureDir) rmSync(fixtureDir, { recursive: true, force: true });
});

test('assign the GPU group to a running sandbox by clicking, see its guest PCI path, detach, host driver restored', async ({ page }) => {
  const run = server.vessel('sandbox', 'run', '--name', 'e2e-devices', '--accel', 'tcg', '--json');
  expect(run.code, run.stderr).toBe(0);

  await page.goto(server.url);
  await page.getByRole('navigation', { name: 'main' }).getByRole('button', { name: 'Devices' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'simulated host devices' })).toBeVisible();
  const group1 = page.getByRole('region', { name: /IOMMU group 1/ });
  await expect(group1.getByText('GP104 [GeForce GTX 1080]')).toBeVisible();
  await expect(group1.getByRole('row', { name: /0000:00:01\.0/ })).toContainText('bridge: left alone');
  // The root disk's controller is never offered.
  await expect(page.getByRole('region', { name: /IOMMU group 5/ }).getByRole('button', { name: 'assign 0000:00:17.0 to a sandbox' })).toBeDisabled();
  await page.screenshot({ path: path.join(screenshotDir, 'devices-page.png'), fullPage: true });

  await page.getByRole('button', { name: 'assign 0000:01:00.0 to a sandbox' }).click();
  const dialog = page.getByRole('dialog', { name: /Assign 0000:01:00.0/ });
  await expect(dialog.getByLabel('sysfs writes')).toContainText('0000:01:00.0/driver_override');
  await expect(dialog.getByLabel('sysfs writes')).toContainText('drivers/snd_hda_intel/unbind');
  await expect(dialog.getByRole('list', { name: 'devices left alone' })).toContainText('vfio-pci does not bind bridges');
  await expect(dialog.getByLabel('Sandbox')).toContainText('e2e-devices — running: hot plug now');
  await page.screenshot({ path: path.join(screenshotDir, 'devices-assign-dialog.png') });
  await dialog.getByRole('button', { name: 'Hot plug' }).click();

  // The sandbox page, Devices panel: both functions of the group with guest PCI paths.
  const panel = page.getByRole('region', { name: 'Devices', exact: true });
  const gpuRow = panel.getByRole('row', { name: /vfio 0000:01:00\.0/ });
  await expect(gpuRow.getByTestId('guest-pci-path')).toHaveText(/^[0-9a-f]{2}\/00$/, { timeout: 120_000 });
  await expect(gpuRow).toContainText('simulated as QEMU edu');
  await expect(panel.getByRole('row', { name: /vfio 0000:01:00\.1/ })).toBeVisible();
  expect(hostDriver('0000:01:00.0')).toBe('vfio-pci');
  await page.screenshot({ path: path.join(screenshotDir, 'devices-sandbox-panel.png'), fullPage: true });

  await gpuRow.getByRole('button', { name: 'detach 0000:01:00.0', exact: true }).click();
  await expect(panel.getByRole('table', { name: 'devices of this sandbox' })).toHaveCount(0, { timeout: 120_000 });
  expect(hostDriver('0000:01:00.0')).toBe('nouveau');
  expect(hostDriver('0000:01:00.1')).toBe('snd_hda_intel');

  await page.getByRole('navigation', { name: 'main' }).getByRole('button', { name: 'Devices' }).click();
  await expect(page.getByRole('row', { name: /0000:01:00\.0/ }).getByTestId('driver')).toHaveText('nouveau');
});
