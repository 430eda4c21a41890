/**
 * Transcript entries shaped like the Claude CLI's JSONL lines (envelope fields on every line, a turn of a
 * user prompt, an assistant tool call, its result and the answer), for compression and cost tests.
 */
const SESSION = '2b1c9a54-6a57-4a43-9d0e-4e3f6c1f0d11';

function uuid(i: number): string {
  return `7c0e${String(i).padStart(4, '0')}-91ab-4c3d-8e2f-${(i * 7919).toString(16).padStart(12, '0')}`;
}

function envelope(i: number, type: string) {
  return {
    parentUuid: i === 0 ? null : uuid(i - 1),
    isSidechain: false,
    userType: 'external',
    cwd: '/home/dev/shop-api',
    sessionId: SESSION,
    version: '2.1.330',
    gitBranch: 'main',
    type,
    uuid: uuid(i),
    timestamp: new Date(Date.UTC(2026, 11, 3, 8, 0, 0, i * 1370)).toISOString(),
  };
}

/** Entry `i` of a transcript: turns of four lines (prompt, tool call, tool result, answer). */
export function claudeEntry(i: number): Record<string, unknown> {
  const turn = Math.floor(i / 4);
  switch (i % 4) {
    case 0:
      return {
        ...envelope(i, 'user'),
        message: {
          role: 'user',
          content: `Please check why test ${turn} in src/orders/checkout.test.ts fails.`,
        },
        isMeta: false,
        permissionMode: 'default',
      };
    case 1:
      return {
        ...envelope(i, 'assistant'),
        requestId: `req_011C${String(turn).padStart(18, 'x')}`,
        message: {
          id: `msg_01${String(i).padStart(22, 'a')}`,
          type: 'message',
          role: 'assistant',
          model: 'claude-sonnet-4-5-20250929',
          content: [
            {
              type: 'tool_use',
              id: `toolu_01${String(i).padStart(22, 'b')}`,
              name: 'Bash',
              input: { command: `pnpm vitest run src/orders/checkout.test.ts -t "case ${turn}"` },
            },
          ],
          stop_reason: 'tool_use',
          stop_sequence: null,
          usage: {
            input_tokens: 4 + turn,
            cache_creation_input_tokens: 1200 + turn,
            cache_read_input_tokens: 18000 + 40 * turn,
            output_tokens: 95,
            service_tier: 'standard',
          },
        },
      };
    case 2:
      return {
        ...envelope(i, 'user'),
        message: {
          role: 'user',
          content: [
            {
              tool_use_id: `toolu_01${String(i - 1).padStart(22, 'b')}`,
              type: 'tool_result',
              content: `FAIL src/orders/checkout.test.ts > checkout > case ${turn}\nAssertionError: expected 1999 to be 2000\n  at src/orders/checkout.test.ts:${40 + turn}:18\n\nTest Files  1 failed (1)\n     Tests  1 failed | ${turn} passed`,
              is_error: false,
            },
          ],
        },
        toolUseResult: { stdout: 'FAIL ...', stderr: '', interrupted: false, isImage: false },
      };
    default:
      return {
        ...envelope(i, 'assistant'),
        requestId: `req_011C${String(turn).padStart(18, 'y')}`,
        message: {
          id: `msg_01${String(i).padStart(22, 'c')}`,
          type: 'message',
          role: 'assistant',
          model: 'claude-sonnet-4-5-20250929',
          content: [
            {
              type: 'text',
              text: `Case ${turn} fails because the total is rounded before the discount is applied; rounding after the discount gives 2000 as expected.`,
            },
          ],
          stop_reason: 'end_turn',
          stop_sequence: null,
          usage: {
            input_tokens: 6,
            cache_creation_input_tokens: 310,
            cache_read_input_tokens: 19000 + 40 * turn,
            output_tokens: 60 + (turn % 9),
            service_tier: 'standard',
          },
        },
      };
  }
}
