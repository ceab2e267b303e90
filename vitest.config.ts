import { defineConfig } from 'vitest/config';

// Two projects: fast unit tests (mock hypervisor, fixtures), and integration
// tests that boot real QEMU guests under TCG. VMs are CPU-bound on a 2-core
// machine, so integration files run one at a time.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['core/**/*.test.ts', 'guest/**/*.test.ts', 'electron/**/*.test.ts'],
          exclude: ['**/*.int.test.ts', 'node_modules/**', 'dist/**'],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['core/**/*.int.test.ts', 'guest/**/*.int.test.ts'],
          exclude: ['node_modules/**', 'dist/**'],
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
