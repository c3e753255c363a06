import * as os from 'node:os';

/** The machine a bench ran on, printed at the top and kept in the JSON. */
export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly node: string;
  readonly platform: string;
  /** 1-minute load average when the bench started: above ~0.5 something else is using the CPUs. */
  readonly loadAverage: number;
  database?: string;
}

export function describeMachine(): Machine {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim().replace(/\s+/g, ' ') ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    loadAverage: Math.round(os.loadavg()[0] * 100) / 100,
  };
}

export function machineLine(m: Machine): string {
  return `Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, node ${m.node}, ${m.platform}${m.database ? `, ${m.database}` : ''}`;
}

/** A warning when other processes were busy as the bench started. */
export function loadWarning(m: Machine): string | undefined {
  return m.loadAverage > 0.5 * m.cores
    ? `Warning: load average ${m.loadAverage} on ${m.cores} cores before the bench started: other processes are using the CPUs, figures will be low and noisy.`
    : undefined;
}
