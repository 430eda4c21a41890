/** `--help` texts, one per command, each with examples. */

const STORAGE = `  --storage URL          where sessions are stored (default $CHANNELCODER_STORAGE, else file storage in
                         $CHANNELCODER_HOME/sessions or ~/.channelcoder/sessions):
                           file:///dir   redis://host:6379/0?prefix=app:   s3://bucket/prefix?region=eu-west-1
                           postgresql://user@host/db`;

const TURN_OPTIONS = `  -p, --prompt TEXT      the prompt (instead of a PROMPT argument)
  -d, --data KEY=VALUE   template data, repeatable; KEY may be a path (user.name); VALUE is text,
                         or JSON for numbers, booleans, arrays and objects
      --session NAME     start a new session saved under NAME (refuses an existing name)
      --force            with --session: start NAME over even if it exists
      --load-session NAME  continue the saved session NAME
      --model NAME       Claude model
      --system-prompt TEXT, --append-system-prompt TEXT
      --allowed-tools LIST, --disallowed-tools LIST   comma-separated tool rules (repeatable)
      --max-turns N      limit of agentic turns
      --permission-mode MODE
      --cwd DIR          working directory of the conversation
      --timeout SECONDS  stop the turn after this long (exit 1)
      --wait SECONDS     when another process runs a turn of the session, wait this long for it
                         (default 600), then exit 4
      --no-wait          when the session is busy, exit 4 at once (nothing runs, nothing is spent)
      --json             print one JSON object with the result instead of the text
${STORAGE}
  -h, --help`;

export const HELP: Record<string, string> = {
  main: `channelcoder: Claude Code conversations you can save, continue, list and move between storages.

Usage: channelcoder <command> [options]

Commands:
  run [PROMPT | FILE.md]          one turn; prints Claude's answer
  stream [PROMPT | FILE.md]       one turn; prints the answer as it arrives
  interactive [PROMPT | FILE.md]  hands the terminal to Claude Code, records the outcome
  session list|show|remove|fork|export|import   manage saved sessions
  serve                           the session service over HTTP (needs @channelcoder/server)
  --list-sessions                 same as \`session list\`

Examples:
  channelcoder run "Start project" --session my-project
  channelcoder run -p "Add tests" --load-session my-project
  channelcoder run continue-task.md --load-session my-project -d feature=auth
  channelcoder session list
  channelcoder session remove old-project --yes

Exit codes: 0 success, 1 Claude/run failure, 2 usage error, 3 storage error (after a completed turn
the answer is still printed), 4 session busy (another process runs a turn of it), 130 interrupted by
Ctrl-C (143 SIGTERM, 129 SIGHUP; the turn is recorded as interrupted).
Run \`channelcoder <command> --help\` for a command's options.
Claude is started from $CLAUDE_BIN, else \`claude\` on PATH.`,

  run: `Usage: channelcoder run [PROMPT | FILE.md] [options]

Runs one turn and prints Claude's answer. A FILE.md argument is a prompt template: YAML frontmatter
(systemPrompt, allowedTools, model, maxTurns, permissionMode, input, session.required) and a body with
{variables} filled from --data and {session.id}, {session.name}, {session.messageCount},
{session.lastMessage} from the loaded session. PROMPT - reads the prompt from standard input.
Without --session or --load-session nothing is saved.

Options:
${TURN_OPTIONS}

Examples:
  channelcoder run "Create TODO app" --session todo-app
  channelcoder run -p "Add user authentication" --load-session todo-app
  channelcoder run continue-task.md --load-session todo-app -d priority=high -d files='["a.ts","b.ts"]'
  channelcoder run "What changed?" --load-session todo-app --storage redis://localhost:6379/0 --json
  git diff | channelcoder run - --load-session todo-app`,

  stream: `Usage: channelcoder stream [PROMPT | FILE.md] [options]

Like \`run\`, but prints Claude's text as it arrives. The turn is recorded (and saved once) when it ends.

Options:
${TURN_OPTIONS}

Examples:
  channelcoder stream "Write the README" --session docs
  channelcoder stream -p "Now the API reference" --load-session docs`,

  interactive: `Usage: channelcoder interactive [PROMPT | FILE.md] [options]

Hands the terminal to Claude Code (its own UI). When you leave it, the turn is recorded in the session:
the conversation continues in Claude's transcript, the session keeps its id.

Options:
${TURN_OPTIONS}

Examples:
  channelcoder interactive --load-session todo-app
  channelcoder interactive "Let's plan the next feature" --session planning`,

  session: `Usage: channelcoder session <list|show|remove|fork|export|import> [options]

  list                     saved sessions, newest first
  show NAME                one session's conversation
  remove NAME              delete a session (asks first on a terminal; --yes otherwise)
  fork NAME NEW            a new session branching off NAME's conversation
  export NAME [FILE]       a portable JSON document (stdout without FILE)
  import FILE [--name N]   store a document made by export (FILE - reads stdin)

Examples:
  channelcoder session list --limit 10
  channelcoder session export todo-app todo.json && channelcoder session import todo.json --storage redis://localhost:6379

Run \`channelcoder session <subcommand> --help\` for its options.`,

  'session list': `Usage: channelcoder session list [options]   (alias: channelcoder --list-sessions)

A table of saved sessions, newest first: name, messages, last active, cost, current Claude session id.

Options:
      --limit N          at most N sessions
      --prefix TEXT      only names starting with TEXT
      --json             a JSON array instead of the table
${STORAGE}

Examples:
  channelcoder session list
  channelcoder session list --limit 5 --json
  channelcoder --list-sessions --storage redis://localhost:6379/0`,

  'session show': `Usage: channelcoder session show NAME [options]

Prints a session: its Claude session ids, cost, and every message.

Options:
      --json             the stored session as JSON
${STORAGE}

Examples:
  channelcoder session show todo-app
  channelcoder session show todo-app --json | jq '.messages | length'`,

  'session remove': `Usage: channelcoder session remove NAME [options]

Deletes a session. On a terminal it asks for confirmation; otherwise pass --yes.

Options:
  -y, --yes              do not ask
${STORAGE}

Examples:
  channelcoder session remove old-project
  channelcoder session remove old-project --yes`,

  'session fork': `Usage: channelcoder session fork NAME NEW [options]

Saves NEW as a branch of NAME's conversation: its first turn continues a copy of it (--fork-session),
NAME stays as it is.

Options:
${STORAGE}

Examples:
  channelcoder session fork todo-app todo-app-experiment
  channelcoder run -p "Try a different design" --load-session todo-app-experiment`,

  'session export': `Usage: channelcoder session export NAME [FILE] [options]

Writes a portable JSON document of the session (and its transcripts, when the storage keeps them) to
FILE, or to stdout. \`session import\` reads it into any storage.

Options:
${STORAGE}

Examples:
  channelcoder session export todo-app todo.json
  channelcoder session export todo-app | ssh other-host channelcoder session import -`,

  'session import': `Usage: channelcoder session import FILE [options]

Stores a session from a document made by \`session export\` (FILE - reads stdin).

Options:
      --name NAME        store it under NAME (default: the name in the document)
      --force            replace a session that exists under that name
${STORAGE}

Examples:
  channelcoder session import todo.json
  channelcoder session import todo.json --name todo-copy --storage redis://localhost:6379/0`,
};
