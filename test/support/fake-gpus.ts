import { mkdtempSync, symlinkSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** The fake nvidia-smi (prints the inventories of test/support/gpu-fixtures in nvidia-smi's formats). */
export const FAKE_NVIDIA_SMI = path.resolve(__dirname, 'fake-nvidia-smi.mjs');

/**
 * The environment of an agent on a host with the GPUs of `fixture` (a name in gpu-fixtures/): a
 * directory holding `nvidia-smi` goes first on PATH, as the real binary would be found.
 */
export function fakeGpuEnv(fixture: string): NodeJS.ProcessEnv {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-fake-nvidia-'));
  symlinkSync(FAKE_NVIDIA_SMI, path.join(dir, 'nvidia-smi'));
  return { PATH: `${dir}${path.delimiter}${process.env.PATH ?? ''}`, FAKE_NVIDIA_SMI_FIXTURE: fixture };
}
