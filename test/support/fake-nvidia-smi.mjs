#!/usr/bin/env node
// A stand-in for nvidia-smi on machines without NVIDIA GPUs (tests only). It prints the inventory of
// the JSON fixture named by FAKE_NVIDIA_SMI_FIXTURE (a path, or a name in ./gpu-fixtures) in
// nvidia-smi's own output formats:
//   --query-gpu=FIELDS --format=csv[,noheader][,nounits]   one line per GPU, ", "-separated
//   --query-compute-apps=FIELDS --format=...               one line per process
//   -L                                                     GPU lines, each followed by its MIG devices
// Fixture values are the strings nvidia-smi prints with nounits ("81559", "[N/A]", "Enabled").
// A fixture {"fail": "MESSAGE", "exitCode": N} makes every call fail like a broken driver does.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const name = process.env.FAKE_NVIDIA_SMI_FIXTURE ?? 'plain';
const file = name.includes('/') ? name : path.join(here, 'gpu-fixtures', `${name}.json`);
const fixture = JSON.parse(readFileSync(file, 'utf8'));
if (fixture.fail) {
  process.stdout.write(`${fixture.fail}\n`);
  process.exit(fixture.exitCode ?? 9);
}

const args = process.argv.slice(2);
const option = (key) => args.find((arg) => arg.startsWith(`${key}=`))?.slice(key.length + 1);
const format = (option('--format') ?? 'csv').split(',');
const UNITS = { 'memory.total': ' MiB', 'memory.used': ' MiB', 'utilization.gpu': ' %', used_memory: ' MiB' };
const HEADERS = {
  'memory.total': 'memory.total [MiB]',
  'memory.used': 'memory.used [MiB]',
  'utilization.gpu': 'utilization.gpu [%]',
  used_memory: 'used_gpu_memory [MiB]',
};

function print(fields, rows) {
  const lines = [];
  if (!format.includes('noheader'))
    lines.push(fields.map((f) => (format.includes('nounits') ? f : (HEADERS[f] ?? f))).join(', '));
  for (const row of rows) {
    lines.push(
      fields
        .map((field) => {
          if (!(field in row)) {
            process.stderr.write(`Field "${field}" is not a valid field to query.\n`);
            process.exit(2);
          }
          const value = String(row[field]);
          const unit = UNITS[field];
          return unit && !format.includes('nounits') && !value.startsWith('[') ? `${value}${unit}` : value;
        })
        .join(', '),
    );
  }
  if (lines.length) process.stdout.write(`${lines.join('\n')}\n`);
}

const gpus = fixture.gpus ?? [];
if (args.includes('-L') || args.includes('--list-gpus')) {
  const lines = [];
  for (const gpu of gpus) {
    lines.push(`GPU ${gpu.index}: ${gpu.name} (UUID: ${gpu.uuid})`);
    for (const mig of gpu.migDevices ?? []) {
      lines.push(`  MIG ${mig.profile.padEnd(11)} Device ${String(mig.device).padStart(2)}: (UUID: ${mig.uuid})`);
    }
  }
  process.stdout.write(lines.length ? `${lines.join('\n')}\n` : 'No devices found.\n');
} else if (option('--query-gpu')) {
  if (!gpus.length) {
    process.stdout.write('No devices were found\n');
    process.exit(6);
  }
  print(option('--query-gpu').split(','), gpus);
} else if (option('--query-compute-apps')) {
  print(option('--query-compute-apps').split(','), fixture.apps ?? []);
} else {
  process.stderr.write(`fake nvidia-smi: unsupported arguments ${args.join(' ')}\n`);
  process.exit(2);
}
