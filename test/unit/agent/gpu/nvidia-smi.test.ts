import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import {
  buildInventory,
  migProfileMemory,
  parseListMig,
  parseQueryGpu,
  readInventory,
  readUsage,
} from '../../../../agent/gpu/nvidia-smi';

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;
const FAKE = path.resolve(__dirname, '..', '..', '..', 'support', 'fake-nvidia-smi.mjs');

// Output as nvidia-smi prints it for --query-gpu=index,uuid,name,memory.total,memory.used,utilization.gpu,mig.mode.current --format=csv,noheader,nounits
const PLAIN = `0, GPU-0b1f2a3c-4d5e-6f70-8192-a3b4c5d6e7f8, NVIDIA H100 80GB HBM3, 81559, 1024, 17, Disabled
1, GPU-1c2d3e4f-5a6b-7c8d-9eaf-b0c1d2e3f4a5, NVIDIA H100 80GB HBM3, 81559, 0, 0, Disabled
`;
const NOT_REPORTED = `0, GPU-3e4f5a6b-7c8d-9eaf-b0c1-d2e3f4a5b6c7, Tesla T4, 15360, [N/A], [Not Supported], [N/A]
1, GPU-9a8b7c6d-5e4f-3a2b-1c0d-e9f8a7b6c5d4, NVIDIA GeForce RTX 3090, [Insufficient Permissions], 0, [Unknown Error], [N/A]
`;
const MIG_QUERY = `0, GPU-5d5b3c2e-8f1a-4b6c-9d7e-0a1b2c3d4e5f, NVIDIA A100-SXM4-40GB, 40960, [N/A], [N/A], Enabled
1, GPU-6e7f8a9b-0c1d-4e2f-a3b4-c5d6e7f8a9b0, NVIDIA A100-SXM4-40GB, 40960, 0, 0, Disabled
`;
// nvidia-smi -L on an R470+ driver with MIG enabled on GPU 0.
const MIG_LIST = `GPU 0: NVIDIA A100-SXM4-40GB (UUID: GPU-5d5b3c2e-8f1a-4b6c-9d7e-0a1b2c3d4e5f)
  MIG 3g.20gb     Device  0: (UUID: MIG-e07a497d-1bb6-5a42-b670-1c33bf55ab6e)
  MIG 1g.5gb      Device  1: (UUID: MIG-2f9c1e5a-7d3b-5c48-9e61-b0a4d8c2f3e9)
GPU 1: NVIDIA A100-SXM4-40GB (UUID: GPU-6e7f8a9b-0c1d-4e2f-a3b4-c5d6e7f8a9b0)
`;

describe('nvidia-smi parsing', () => {
  it('reads plain GPUs: index, UUID, name, memory in bytes, utilization', () => {
    const [first, second] = parseQueryGpu(PLAIN);
    assert.deepEqual(first, {
      index: '0',
      uuid: 'GPU-0b1f2a3c-4d5e-6f70-8192-a3b4c5d6e7f8',
      name: 'NVIDIA H100 80GB HBM3',
      memory: 81559 * MiB,
      memoryUsed: 1024 * MiB,
      utilization: 17,
      parent: null,
      mig: false,
    });
    assert.equal(second?.index, '1');
    assert.equal(parseQueryGpu(PLAIN).length, 2);
  });

  it('turns [N/A], [Not Supported] and other bracketed tokens into null', () => {
    const [t4, rtx] = parseQueryGpu(NOT_REPORTED);
    assert.equal(t4?.memory, 15360 * MiB);
    assert.equal(t4?.memoryUsed, null);
    assert.equal(t4?.utilization, null);
    assert.equal(t4?.mig, false);
    assert.equal(rtx?.memory, null);
    assert.equal(rtx?.utilization, null);
  });

  it('skips lines that are not GPU rows (warnings, blank lines)', () => {
    assert.deepEqual(parseQueryGpu('WARNING: infoROM is corrupted at gpu 0000:00:04.0\n\n'), []);
  });

  it('lists MIG devices under their GPU, in both the current and the old UUID forms', () => {
    assert.deepEqual(parseListMig(MIG_LIST), [
      {
        gpuUuid: 'GPU-5d5b3c2e-8f1a-4b6c-9d7e-0a1b2c3d4e5f',
        gpuIndex: '0',
        profile: '3g.20gb',
        device: '0',
        uuid: 'MIG-e07a497d-1bb6-5a42-b670-1c33bf55ab6e',
      },
      {
        gpuUuid: 'GPU-5d5b3c2e-8f1a-4b6c-9d7e-0a1b2c3d4e5f',
        gpuIndex: '0',
        profile: '1g.5gb',
        device: '1',
        uuid: 'MIG-2f9c1e5a-7d3b-5c48-9e61-b0a4d8c2f3e9',
      },
    ]);
    const old = 'GPU 0: A100-SXM4-40GB (UUID: GPU-aaaa)\n  MIG 1g.5gb Device 0: (UUID: MIG-GPU-aaaa/7/0)\n';
    assert.equal(parseListMig(old)[0]?.uuid, 'MIG-GPU-aaaa/7/0');
  });

  it('makes a GPU in MIG mode a parent of its slices, which carry the profile memory', () => {
    const devices = buildInventory(parseQueryGpu(MIG_QUERY), parseListMig(MIG_LIST));
    assert.deepEqual(
      devices.map((d) => [d.index, d.uuid.slice(0, 12), d.mig, d.parent?.slice(0, 12) ?? null]),
      [
        ['0', 'GPU-5d5b3c2e', true, null],
        ['0:0', 'MIG-e07a497d', false, 'GPU-5d5b3c2e'],
        ['0:1', 'MIG-2f9c1e5a', false, 'GPU-5d5b3c2e'],
        ['1', 'GPU-6e7f8a9b', false, null],
      ],
    );
    assert.equal(devices[1]?.name, 'NVIDIA A100-SXM4-40GB MIG 3g.20gb');
    assert.equal(devices[1]?.memory, 20 * GiB);
    assert.equal(migProfileMemory('1g.5gb'), 5 * GiB);
  });
});

describe('nvidia-smi runner', () => {
  const withFixture = async <T>(fixture: string, fn: () => Promise<T>): Promise<T> => {
    const before = process.env.FAKE_NVIDIA_SMI_FIXTURE;
    process.env.FAKE_NVIDIA_SMI_FIXTURE = fixture;
    try {
      return await fn();
    } finally {
      if (before === undefined) delete process.env.FAKE_NVIDIA_SMI_FIXTURE;
      else process.env.FAKE_NVIDIA_SMI_FIXTURE = before;
    }
  };

  it('reads the inventory from the (fake) binary, MIG slices included', async () => {
    const inventory = await withFixture('mig', () => readInventory(FAKE));
    assert.equal(inventory.note, undefined);
    assert.deepEqual(
      inventory.devices.map((d) => d.index),
      ['0', '0:0', '0:1', '0:2', '1'],
    );
  });

  it('asks a driver older than R450, which refuses mig.mode.current, without it', async () => {
    const inventory = await withFixture('old-driver', () => readInventory(FAKE));
    assert.equal(inventory.note, undefined);
    assert.deepEqual(
      inventory.devices.map((d) => [d.index, d.name, d.memory, d.mig]),
      [['0', 'Tesla V100-SXM2-16GB', 16160 * MiB, false]],
    );
  });

  it('gives zero GPUs and a note saying what to do when nvidia-smi is missing', async () => {
    const inventory = await readInventory('/nonexistent/nvidia-smi');
    assert.deepEqual(inventory.devices, []);
    assert.match(inventory.note ?? '', /nvidia-smi not found .*\/nonexistent\/nvidia-smi.*--nvidia-smi/);
  });

  it('gives zero GPUs and the driver message when nvidia-smi fails', async () => {
    const inventory = await withFixture('broken-driver', () => readInventory(FAKE));
    assert.deepEqual(inventory.devices, []);
    assert.match(inventory.note ?? '', /couldn't communicate with the NVIDIA driver/);
  });

  it('reports per-UUID utilization and compute processes', async () => {
    const usage = await withFixture('plain', () => readUsage(FAKE));
    assert.deepEqual(usage.get('GPU-0b1f2a3c-4d5e-6f70-8192-a3b4c5d6e7f8'), {
      utilization: 17,
      processes: [{ pid: 4339, usedMemory: 480 * MiB }],
    });
    assert.deepEqual(usage.get('GPU-3e4f5a6b-7c8d-9eaf-b0c1-d2e3f4a5b6c7'), { utilization: null, processes: [] });
  });
});
