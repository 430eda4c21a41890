/**
 * An id of the machine's current boot: data written without fsync survives anything but a crash of the
 * machine, and a crash changes this id. Linux has one; elsewhere the boot time (to the minute) stands in.
 */
import { readFileSync } from 'node:fs';
import { uptime } from 'node:os';

let cached: string | undefined;

export function bootId(): string {
  if (cached !== undefined) return cached;
  try {
    cached = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    cached = `booted-${Math.round((Date.now() / 1000 - uptime()) / 60)}`;
  }
  return cached;
}
