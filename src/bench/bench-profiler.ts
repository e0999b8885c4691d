import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Session } from 'node:inspector/promises';

/**
 * CPU profiles of one measured phase, for finding hotspots in the in-process
 * service: `--profile DIR` writes `<phase>.cpuprofile` there (open it in
 * Chrome DevTools or speedscope). Without a directory it does nothing.
 */
export class PhaseProfiler {
  private session: Session | undefined;

  constructor(private readonly dir: string | undefined) {}

  async start(): Promise<void> {
    if (!this.dir) return;
    this.session = new Session();
    this.session.connect();
    await this.session.post('Profiler.enable');
    await this.session.post('Profiler.setSamplingInterval', { interval: 500 });
    await this.session.post('Profiler.start');
  }

  async stop(phase: string): Promise<void> {
    if (!this.session || !this.dir) return;
    const { profile } = await this.session.post('Profiler.stop');
    this.session.disconnect();
    this.session = undefined;
    await writeFile(join(this.dir, `${phase}.cpuprofile`), JSON.stringify(profile));
  }
}
