// Lint config. The import-boundary rules below are the enforced form of the
// folder table in DESIGN.md: who may import whom.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const nodeBuiltins = ['node:*', 'fs', 'path', 'os', 'child_process', 'net', 'http', 'http2', 'crypto', 'stream', 'events', 'util', 'url', 'tty', 'readline', 'worker_threads', 'fs/promises', 'timers', 'timers/promises', 'dns', 'zlib', 'buffer'];

function restrict(patterns, message) {
  return {
    'no-restricted-imports': ['error', { patterns: patterns.map((group) => ({ group: [group], message })) }],
  };
}

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'test-results/**', 'playwright-report/**', 'release/**', 'core/agent/proto/generated/**', '.vessel-cache/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  // core/contract: the API contract. zod only; no Node, no DOM, no runtime.
  {
    files: ['core/contract/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: nodeBuiltins, message: 'core/contract may import nothing but zod (no Node built-ins).' },
          { regex: '^(?!zod$|zod/|\\./|\\.\\./contract/).*', message: 'core/contract may import nothing but zod.' },
          { group: ['../*/**', '../../**', '!../contract/**'], message: 'core/contract may import nothing but zod and itself.' },
        ],
      }],
    },
  },
  // core (rest): Node + core/contract, never the UI, electron or the guest.
  {
    files: ['core/**/*.ts'],
    ignores: ['core/contract/**'],
    rules: restrict(['**/renderer/**', '**/electron/**', '**/guest/**', 'react', 'react-dom', 'electron'],
      'core may import Node and core/contract only (not renderer, electron, guest).'),
  },
  // electron: thin shell over core.
  {
    files: ['electron/**/*.ts'],
    rules: restrict(['**/renderer/**', '**/guest/**'], 'electron may import core only.'),
  },
  // renderer: the contract only (it talks to core through the API client).
  {
    files: ['renderer/**/*.ts', 'renderer/**/*.tsx'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: nodeBuiltins, message: 'renderer runs in a browser: no Node built-ins.' },
          { regex: '(^|/)core/(?!contract/)', message: 'renderer may import core/contract only.' },
          { group: ['**/electron/**', '**/guest/**'], message: 'renderer may import core/contract only.' },
        ],
      }],
    },
  },
  // guest: the agent may use core/contract and the agent proto, nothing else of core.
  {
    files: ['guest/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { regex: '(^|/)core/(?!contract/|agent/proto/)', message: 'guest may import core/contract and the agent proto only.' },
          { group: ['**/renderer/**', '**/electron/**'], message: 'guest may import core/contract and the agent proto only.' },
        ],
      }],
    },
  },
);
