/** `--help` texts, one per command, each with examples. */

const STORAGE = `  --storage URL          where sessions are stored (default $CHANNELCODER_STORAGE, else file storage in
                         $CHANNELCODER_HOME/sessions or ~/.channelcoder/sessions):
                           file:///dir   redis://host:6379/0?prefix=app:   s3://bucket/prefix?region=eu-west-1
                           postgresql://user@host/db`;

const TURN_OPTIONS = `  -p, --prompt TEXT      the prompt (instead of a PROMPT argument)
      --file PATH        a prompt template file with any name (a PROMPT argument is a file only if it
                         ends in .md; anything else is sent as the prompt text)
      --allow-template-permissions  let the template's permissionMode raise permissions (acceptEdits,
                         bypassPermissions, …); refused otherwise
      --redact           mask secrets (API keys, tokens, URL passwords, this process's secret variables)
                         in stored messages and mirrored transcripts
  -d, --data KEY=VALUE   template data, repeatable; KEY may be a path (user.name); VALUE is text,
                         or JSON for numbers, booleans, arrays and objects
      --session NAME     start a new session saved under NAME (refuses an existing name, except
                         one that was never answered: the same command runs again in it)
      --force            with --session: start NAME over even if it exists (the existing session
                         goes to the trash: \`channelcoder session restore NAME --as OTHER\` brings it back)
      --load-session NAME  continue the saved session NAME
      --model NAME       Claude model
      --system-prompt TEXT, --append-system-prompt TEXT   apply when a conversation starts;
                         Claude Code ignores them on a resume (a warning says so)
      --allowed-tools LIST, --disallowed-tools LIST   comma-separated tool rules (repeatable)
      --max-turns N      limit of agentic turns
      --permission-mode MODE
      --cwd DIR          working directory of the conversation
      --worktree BRANCH  run in the git worktree of BRANCH, created beside the main checkout as
                         <checkout>-<branch> when missing (the branch too, from HEAD, when new)
      --docker           run Claude Code in a Docker container: the working directory at /workspace,
                         its transcript folder mounted, Claude's variables passed by name (the
                         default image channelcoder-claude-code is built once when missing)
      --docker-image IMAGE  the same in IMAGE (it needs \`claude\` on its PATH)
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
  session list|show|remove|restore|fork|export|import   manage saved sessions
  serve                           the session service over HTTP (needs @channelcoder/server)
  ui                              the browser viewer of every session (needs @channelcoder/server)
  --list-sessions                 same as \`session list\`

Examples:
  channelcoder run "Start project" --session my-project
  channelcoder run -p "Add tests" --load-session my-project
  channelcoder run continue-task.md --load-session my-project -d feature=auth
  channelcoder session list
  channelcoder session remove old-project --yes

Exit codes: 0 success, 1 Claude/run failure, 2 usage error, 3 storage error (after a completed turn
the answer is still printed), 4 session busy (another process runs a turn of it), 130 interrupted by
Ctrl-C (143 SIGTERM, 129 SIGHUP; the turn is recorded as interrupted, or as answered when Claude had
answered; an answer not saved yet is recovered from Claude's transcript by the next turn).
Run \`channelcoder <command> --help\` for a command's options.
Claude is started from $CLAUDE_BIN, else \`claude\` on PATH.`,

  run: `Usage: channelcoder run [PROMPT | FILE.md] [options]

Runs one turn and prints Claude's answer. A FILE.md argument is a prompt template: YAML frontmatter
(systemPrompt, allowedTools, model, maxTurns, permissionMode, input, session.required) and a body with
{variables} filled from --data and {session.id}, {session.name}, {session.messageCount},
{session.lastMessage} from the loaded session. PROMPT - reads the prompt from standard input.
Only an argument ending in .md (or --file PATH) is read as a file; other text is the prompt itself.
Without --session or --load-session nothing is saved. A session keeps the --model, --allowed-tools,
--disallowed-tools, --permission-mode, --cwd, --worktree and --docker options of its first turn: later
turns (--load-session, session open, on any machine) run the same way unless given them again.

Options:
${TURN_OPTIONS}

Examples:
  channelcoder run "Create TODO app" --session todo-app
  channelcoder run -p "Add user authentication" --load-session todo-app
  channelcoder run continue-task.md --load-session todo-app -d priority=high -d files='["a.ts","b.ts"]'
  channelcoder run "What changed?" --load-session todo-app --storage redis://localhost:6379/0 --json
  git diff | channelcoder run - --load-session todo-app
  channelcoder run "Start the payment feature" --session payments --worktree feature/payments
  channelcoder run "Scan for vulnerabilities" --session audit --docker-image security-scanner`,

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

  session: `Usage: channelcoder session <list|show|open|search|stats|adopt|remove|fork|export|import> [options]

  list                     saved sessions, newest first
  show NAME                one session's conversation (--full: from the transcript, with tool calls)
  open NAME                Claude Code's terminal UI on the session, in its working directory
  search TEXT              full-text search over messages and transcripts (tool calls and results too)
  stats                    turns, tokens and cost, by day, tag, model or session
  adopt                    import Claude Code's own transcripts (bare claude -p, the SDK) as sessions
  remove NAME              move a session to the trash (--purge: delete for good; asks first on a
                           terminal, --yes otherwise)
  restore NAME             put a session back from the trash (--as NEW: under another name)
  fork NAME NEW            a new session branching off NAME's conversation
  export NAME [FILE]       a portable JSON document, or --format md|html (stdout without FILE)
  import FILE [--name N]   store a document made by export (FILE - reads stdin)

Examples:
  channelcoder session list --limit 10
  channelcoder session export todo-app todo.json && channelcoder session import todo.json --storage redis://localhost:6379

Run \`channelcoder session <subcommand> --help\` for its options.`,

  'session list': `Usage: channelcoder session list [options]   (alias: channelcoder --list-sessions)

A table of saved sessions, newest first: name, messages, last active, cost, current Claude session id,
and a total line (sessions, messages, cost).

Options:
      --limit N          at most N sessions
      --prefix TEXT      only names starting with TEXT
      --trash            the trash instead: sessions removed or replaced (kept 30 days), newest first,
                         with the id \`session restore\` takes
      --json             a JSON array instead of the table
${STORAGE}

Examples:
  channelcoder session list
  channelcoder session list --limit 5 --json
  channelcoder session list --trash
  channelcoder --list-sessions --storage redis://localhost:6379/0`,

  'session search': `Usage: channelcoder session search TEXT [options]

Finds the sessions that mention TEXT (one phrase, any case) in a prompt, an answer or, where the storage
keeps transcripts, thinking, tool calls and tool results. Newest sessions first, each with the matching
snippets (the match marked). Uses the storage's own search when it has one, else reads every session
(with a progress bar on a terminal).

Options:
      --tag T            only sessions tagged T (repeat or comma-separate: all must match)
      --limit N          at most N sessions
      --json             [{name, lastActive, …, snippets: [{source, text, matchStart, matchEnd}]}]
${STORAGE}

Examples:
  channelcoder session search "connection refused"
  channelcoder session search migration --tag backend --limit 5 --json`,

  'session open': `Usage: channelcoder session open NAME [options]

Hands the terminal to Claude Code on the saved session NAME, wherever it was made: its stored transcript
is restored into this machine's $CLAUDE_CONFIG_DIR (the project folder of the working directory), and
\`claude --resume <id>\` runs in the session's working directory (the one stored with it, else the one its
transcript records, else the current one). A session made with --worktree opens in its branch's
worktree on this machine (created beside your checkout of the repository when missing); one made with
--docker runs in its container. When you leave Claude Code, what was typed and answered is recorded in
the session, like \`interactive --load-session NAME\`.

Options:
      --cwd DIR          run in DIR instead (e.g. the same project checked out elsewhere)
      --model NAME       Claude model
      --permission-mode MODE
      --wait SECONDS     when another process runs a turn of the session, wait this long (default 600)
      --no-wait          when the session is busy, exit 4 at once
      --json             print {session, claudeSessionId, cwd, exitCode, messageCount} when it ends
${STORAGE}

Examples:
  channelcoder session open todo-app
  channelcoder session open todo-app --cwd ~/code/todo-app --storage redis://localhost:6379/0`,

  'session adopt': `Usage: channelcoder session adopt [options]

Imports Claude Code sessions made outside channelcoder (bare \`claude -p\`, the Agent SDK, the TUI) from
$CLAUDE_CONFIG_DIR/projects/<folder>/<id>.jsonl as named sessions tagged "adopted": messages, tokens and
cost from the transcript, and the transcript itself stored with the session. Names come from the first
prompt (slug + the first 8 characters of the Claude id), stable across runs. Running it again adds
nothing; a transcript that grew adds only its new turns. Conversations that already are sessions of this
project are left alone. Default: the transcripts of the current directory's project.

Claude Code deletes transcripts after 30 days (cleanupPeriodDays); adopt them before that, e.g. hourly:
  0 * * * *  channelcoder session adopt --all >/dev/null

Options:
      --all              every project folder
      --project DIR      the transcripts of the project in DIR
      --since DATE       only transcripts modified at or after DATE (2026-11-01)
      --json             one {claudeSessionId, name, action, turnsAdded} per transcript
${STORAGE}

Examples:
  channelcoder session adopt --all
  channelcoder session adopt --project ~/code/app --since 2026-11-01`,

  'session stats': `Usage: channelcoder session stats [options]

Turns, tokens and cost from the sessions' ledgers (each turn's own cost, recorded when it ran), grouped,
with a total line. A fork's turns before the fork count with its parent, so no turn counts twice.

Options:
      --by GROUP         day | tag | model | session (default session); a session with several tags
                         counts under each tag, the model comes from the session's transcript
      --since WHEN       only turns at or after a date (2026-11-01) or that many days back (7d)
      --json             {by, since, groups, total} as JSON
${STORAGE}

Examples:
  channelcoder session stats --by day --since 7d
  channelcoder session stats --by tag --json | jq .total.costUsd`,

  'session show': `Usage: channelcoder session show NAME [options]

Prints a session: its Claude session ids, cost, the run options it keeps (model, permissions, tools,
worktree, docker, cwd), and every message. With --full, the whole conversation
from the stored (or local) transcript: prompts, answers, thinking, tool calls with their inputs and tool
results (paged on a terminal).

Options:
      --full             the whole conversation from the transcript
      --no-truncate      with --full: tool results in full (default: cut after 2,000 characters, marked)
      --json             the stored session as JSON (with --full: the conversation entries)
${STORAGE}

Examples:
  channelcoder session show todo-app
  channelcoder session show todo-app --full
  channelcoder session show todo-app --json | jq '.messages | length'`,

  'session remove': `Usage: channelcoder session remove NAME [options]

Moves a session to the trash, where it is kept 30 days (\`channelcoder session list --trash\`) and
can be put back with \`channelcoder session restore NAME\`; expired entries are deleted on the way.
On a storage without a trash, and with --purge, the session is deleted for good. On a terminal it asks
for confirmation; otherwise pass --yes.

Options:
  -y, --yes              do not ask
      --purge            delete for good instead of moving to the trash
${STORAGE}

Examples:
  channelcoder session remove old-project
  channelcoder session remove old-project --yes
  channelcoder session remove old-project --yes --purge`,

  'session restore': `Usage: channelcoder session restore NAME|ID [options]

Puts a session back from the trash, with its transcripts: NAME takes the newest trashed session of that
name, ID one entry (the ID column of \`channelcoder session list --trash\`). A name that is taken is
refused (nothing changes): restore under another name with --as.

Options:
      --as NEW           restore under the name NEW
${STORAGE}

Examples:
  channelcoder session list --trash
  channelcoder session restore old-project
  channelcoder session restore my-project --as my-project-before`,

  'session fork': `Usage: channelcoder session fork NAME NEW [options]

Saves NEW as a branch of NAME's conversation: its first turn continues a copy of it (--fork-session),
NAME stays as it is.

Options:
${STORAGE}

Examples:
  channelcoder session fork todo-app todo-app-experiment
  channelcoder run -p "Try a different design" --load-session todo-app-experiment`,

  'session export': `Usage: channelcoder session export NAME [FILE] [options]

Writes the session to FILE, or to stdout. --format json (default): a portable JSON document of the
session and its transcripts (when the storage keeps them), which \`session import\` reads into any
storage. --format md: the conversation as Markdown (tool calls and results in code blocks), for a pull
request or an issue. --format html: one self-contained page (no scripts, no external resources; message
content is always shown as text).

Options:
  -f, --format FORMAT    json | md | html (default json)
      --no-truncate      md/html: tool results in full (default: cut after 2,000 characters, marked)
${STORAGE}

Examples:
  channelcoder session export todo-app todo.json
  channelcoder session export todo-app --format md > session.md
  channelcoder session export todo-app session.html --format html
  channelcoder session export todo-app | ssh other-host channelcoder session import -`,

  'session import': `Usage: channelcoder session import FILE [options]

Stores a session from a document made by \`session export\` (FILE - reads stdin).

Options:
      --name NAME        store it under NAME (default: the name in the document)
      --force            replace a session that exists under that name (it goes to the trash)
${STORAGE}

Examples:
  channelcoder session import todo.json
  channelcoder session import todo.json --name todo-copy --storage redis://localhost:6379/0`,
};
