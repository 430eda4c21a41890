/**
 * Records the commands a client sends, by wrapping `sendCommand`. Commands of one pipeline or MULTI share
 * one write and one reply wait, so they count as a single round trip.
 */
import type { Redis } from 'ioredis';

export interface CommandLog {
  commands: { name: string; args: unknown[] }[];
  roundTrips(): number;
  names(): string[];
  reset(): void;
  restore(): void;
}

export function recordCommands(client: Redis): CommandLog {
  const original = client.sendCommand;
  const commands: { name: string; args: unknown[] }[] = [];
  let solo = 0;
  const pipelines = new Set<unknown>();
  client.sendCommand = function (this: Redis, command, stream) {
    commands.push({ name: command.name.toLowerCase(), args: [...command.args] });
    if ((stream as { isPipeline?: boolean } | undefined)?.isPipeline) pipelines.add(stream);
    else solo += 1;
    return original.call(this, command, stream);
  } as Redis['sendCommand'];
  return {
    commands,
    roundTrips: () => solo + pipelines.size,
    names: () => commands.map((c) => c.name),
    reset: () => {
      commands.length = 0;
      solo = 0;
      pipelines.clear();
    },
    restore: () => {
      client.sendCommand = original;
    },
  };
}
