import { spawnSync } from 'node:child_process';

/** Runs the docker CLI; returns stdout, throwing with stderr on failure. */
export function docker(...args: string[]): string {
  const result = spawnSync('docker', args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`docker ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout.trim();
}

/** Whether a docker object exists (`docker inspect` succeeds). */
export function dockerExists(kind: 'container' | 'volume' | 'image', name: string): boolean {
  return spawnSync('docker', [kind, 'inspect', name], { stdio: 'ignore' }).status === 0;
}

/** Fails with what to do when the engine or the workspace image is missing. */
export function requireDocker(): void {
  if (spawnSync('docker', ['version'], { stdio: 'ignore' }).status !== 0) {
    throw new Error('no Docker engine answers; run scripts/setup-host.sh first');
  }
  if (!dockerExists('image', 'berth-workspace:latest')) {
    throw new Error('the image berth-workspace:latest is missing; run scripts/setup-host.sh first');
  }
}

/** Builds `tag` from a Dockerfile given as text (no build context). */
export function dockerBuild(tag: string, dockerfile: string): void {
  const result = spawnSync('docker', ['build', '-q', '-t', tag, '-'], { input: dockerfile, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`docker build ${tag} failed: ${result.stderr}`);
}

/** Containers and volumes that carry Berth's name label `name`, whoever owns them. */
export function labelledWithName(name: string): { containers: string[]; volumes: string[] } {
  const filter = `label=dev.berth.name=${name}`;
  const lines = (text: string) => text.split('\n').filter(Boolean);
  return {
    containers: lines(docker('ps', '-a', '-q', '--filter', filter)),
    volumes: lines(docker('volume', 'ls', '-q', '--filter', filter)),
  };
}
