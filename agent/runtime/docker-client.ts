import Docker from 'dockerode';

/** A dockerode client of the engine at `socketPath` that never follows a redirect ({@link refuseRedirects}). */
export function dockerClient(socketPath: string): Docker {
  const docker = new Docker({ socketPath });
  refuseRedirects(docker.modem);
  return docker;
}

/**
 * Makes `modem` refuse redirects. docker-modem follows a 3xx by itself, to the Location's host
 * (taking a path's first segment for one), with no error listener on the new request: Docker
 * answers paths it cleans ("a/../b", "a//b") with a 301, so one crafted name made the agent GET an
 * address of the user's choice, or crash. With `maxRedirects` 0 a redirect is an error instead.
 */
function refuseRedirects(modem: unknown): void {
  type BuildRequest = (this: unknown, options: { maxRedirects?: number }, ...rest: unknown[]) => unknown;
  const target = modem as { buildRequest: BuildRequest };
  const buildRequest = target.buildRequest;
  target.buildRequest = function (options, ...rest) {
    options.maxRedirects = 0;
    return buildRequest.call(this, options, ...rest);
  };
}
