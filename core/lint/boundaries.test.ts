import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

/**
 * The folder table of DESIGN.md (who may import whom) is enforced by
 * eslint.config.js. These cases prove the rule bites, and that allowed
 * imports pass, so a config change that silently disables it fails here.
 */
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const eslint = new ESLint({ cwd: repoRoot });

async function restrictedImports(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(repoRoot, file) });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('import boundaries', () => {
  const cases: Array<[string, string, boolean]> = [
    // [file, import statement, allowed]
    ['core/contract/x.ts', "import { z } from 'zod';", true],
    ['core/contract/x.ts', "import { readFileSync } from 'node:fs';", false],
    ['core/contract/x.ts', "import { SandboxStore } from '../store/index.js';", false],
    ['core/api/x.ts', "import { readFileSync } from 'node:fs';", true],
    ['core/api/x.ts', "import { VesselError } from '../contract/index.js';", true],
    ['core/api/x.ts', "import { main } from '../../guest/agent/main.js';", false],
    ['core/api/x.ts', "import { App } from '../../renderer/App.js';", false],
    ['renderer/x.ts', "import { SandboxStatus } from '../core/contract/index.js';", true],
    ['renderer/x.ts', "import { createRuntime } from '../core/api/index.js';", false],
    ['renderer/x.ts', "import { readFileSync } from 'node:fs';", false],
    ['electron/x.ts', "import { createRuntime } from '../core/api/index.js';", true],
    ['electron/x.ts', "import { App } from '../renderer/App.js';", false],
    ['core/handlers/x.ts', "import { createRuntime } from '../api/index.js';", true],
    ['core/handlers/x.ts', "import { App } from '../../renderer/src/App.js';", false],
    ['core/serve/x.ts', "import { wireIpc } from '../../electron/ipc.js';", false],
    ['electron/x.ts', "import { ApiSession } from '../core/handlers/index.js';", true],
    ['renderer/src/x.tsx', "import { ApiSession } from '../../core/handlers/index.js';", false],
    ['renderer/src/x.tsx', "import { Methods } from '../../core/contract/index.js';", true],
    ['renderer/src/x.tsx', "import { readFileSync } from 'fs';", false],
    ['guest/agent/x.ts', "import { VesselError } from '../../core/contract/index.js';", true],
    ['guest/agent/x.ts', "import { loadAgentProto } from '../../core/agent/proto/index.js';", true],
    ['guest/agent/x.ts', "import { AgentClient } from '../../core/agent/client.js';", false],
    ['guest/agent/x.ts', "import { SandboxStore } from '../../core/store/index.js';", false],
  ];
  for (const [file, code, allowed] of cases) {
    it(`${allowed ? 'allows' : 'forbids'} in ${file}: ${code}`, async () => {
      const messages = await restrictedImports(file, `${code}\nexport const used = [${code.match(/\{ (\w+) \}/)?.[1] ?? ''}];\n`);
      if (allowed) expect(messages).toEqual([]);
      else expect(messages.length).toBeGreaterThan(0);
    });
  }
});
